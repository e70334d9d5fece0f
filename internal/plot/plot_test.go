package plot

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/clip-go/clip/internal/testfs"
)

func writeMetrics(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "metrics.jsonl")
	testfs.WriteFile(t, p, []byte(content))
	return p
}

func TestReadMetrics(t *testing.T) {
	p := writeMetrics(t, `{"step": 1, "epoch": 0, "loss": 2.5, "lr": 1e-4, "logit_scale": 14.3, "samples_per_s": 100, "data_wait": 0.01, "grad_norm": 3, "note": "warmup", "grad_norm_clipped": null}

{"step": 2, "loss": null, "eval": {"zeroshot_top1": 0.5, "zeroshot_top5": 0.9, "per_class": [1, 2], "name": "mnist"}}
{"step": 3, "loss": 2.`) // the last line is still being written
	recs, err := ReadMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2 (the unfinished last line ignored)", len(recs))
	}
	want0 := map[string]float64{"epoch": 0, "loss": 2.5, "lr": 1e-4, "logit_scale": 14.3, "samples_per_s": 100, "data_wait": 0.01, "grad_norm": 3}
	if recs[0].Step != 1 || recs[0].Line != 1 || !reflect.DeepEqual(recs[0].Values, want0) || recs[0].Eval != nil {
		t.Errorf("record 0: %+v", recs[0])
	}
	if recs[1].Step != 2 || recs[1].Line != 3 || len(recs[1].Values) != 0 ||
		!reflect.DeepEqual(recs[1].Eval, map[string]float64{"zeroshot_top1": 0.5, "zeroshot_top5": 0.9}) {
		t.Errorf("record 1: %+v", recs[1])
	}
}

func TestReadMetricsErrors(t *testing.T) {
	tests := []struct{ content, want string }{
		{"{\"step\": 1}\nnot json\n", "metrics.jsonl:2: not a JSON object"},
		{"[1, 2]\n", "metrics.jsonl:1: not a JSON object"},
		{"{\"loss\": 1}\n", `metrics.jsonl:1: no "step" key`},
		{"{\"step\": \"ten\"}\n", `metrics.jsonl:1: "step" is "ten", want a number`},
		{"{\"step\": null}\n", `"step" is null`},
		{"\n{\"step\": 1, \"loss\": \"high\"}\n", `metrics.jsonl:2: "loss" is "high", want a number`},
		{"{\"step\": 1, \"eval\": 3}\n", `metrics.jsonl:1: "eval" is 3, want an object`},
	}
	for _, tc := range tests {
		_, err := ReadMetrics(writeMetrics(t, tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.content, err, tc.want)
		}
	}
	if _, err := ReadMetrics(filepath.Join(t.TempDir(), "nope.jsonl")); err == nil || !strings.Contains(err.Error(), "nope.jsonl") {
		t.Errorf("missing file: %v", err)
	}
}

func TestPointsRestartAndNonFinite(t *testing.T) {
	recs := []Record{
		{Step: 1, Values: map[string]float64{"loss": 5}},
		{Step: 2, Values: map[string]float64{"loss": 4}},
		{Step: 3, Values: map[string]float64{"loss": math.NaN()}},
		{Step: 4, Values: map[string]float64{"loss": 3}},
		{Step: 5, Values: map[string]float64{"lr": 1}},
		{Step: 3, Values: map[string]float64{"loss": 3.5}}, // resumed from step 2
		{Step: 4, Values: map[string]float64{"loss": math.Inf(1)}},
		{Step: 5, Values: map[string]float64{"loss": 2}},
	}
	got := points(recs, func(r Record) (float64, bool) { v, ok := r.Values["loss"]; return v, ok })
	want := plotter.XYs{{X: 1, Y: 5}, {X: 2, Y: 4}, {X: 3, Y: 3.5}, {X: 5, Y: 2}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("points %v, want %v", got, want)
	}
}

func TestEMA(t *testing.T) {
	xys := make(plotter.XYs, 200)
	for i := range xys {
		xys[i] = plotter.XY{X: float64(i), Y: 7}
	}
	for _, p := range ema(xys) {
		if math.Abs(p.Y-7) > 1e-12 {
			t.Fatalf("EMA of a constant is %g, want 7 (bias-corrected)", p.Y)
		}
	}
}

func TestWrite(t *testing.T) {
	var b strings.Builder
	for s := 1; s <= 150; s++ {
		fmt.Fprintf(&b, `{"step": %d, "epoch": %g, "loss": %g, "lr": %g, "logit_scale": %g}`+"\n",
			s, float64(s)/100, 5/math.Sqrt(float64(s))+0.1*math.Sin(float64(s)), 1e-3*math.Min(1, float64(s)/20), 14+float64(s)/10)
		if s%50 == 0 {
			fmt.Fprintf(&b, `{"step": %d, "eval": {"zeroshot_top1": %g, "zeroshot_top5": %g, "retrieval_r1": 0.1}}`+"\n", s, float64(s)/200, float64(s)/160)
		}
	}
	recs, err := ReadMetrics(writeMetrics(t, b.String()))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "plots", "nested")
	files, err := Write(recs, out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		checkPNG(t, f)
	}
	if want := []string{"loss.png", "lr.png", "logit_scale.png", "retrieval.png", "zeroshot.png"}; !reflect.DeepEqual(names, want) {
		t.Errorf("wrote %v, want %v", names, want)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(files) {
		t.Errorf("%d entries in the output folder, want %d (no temporary files left)", len(ents), len(files))
	}

	if _, err := Write([]Record{{Step: 1, Values: map[string]float64{"epoch": 1}}}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no values to draw") {
		t.Errorf("nothing to draw: error %v", err)
	}
}

// checkPNG decodes a file as PNG and checks its size is the charts' size.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	if b := testfs.ReadPNG(t, path).Bounds(); b.Dx() != 672 || b.Dy() != 432 {
		t.Errorf("%s: %dx%d pixels, want 672x432", path, b.Dx(), b.Dy())
	}
}
