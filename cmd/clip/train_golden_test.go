package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/trainer"
)

// e2eConfig is the part of golden/train_e2e/config.json a run needs.
type e2eConfig struct {
	Model struct {
		Weights string `json:"weights"`
		Config  string `json:"config"`
	} `json:"model"`
	Data struct {
		CSV           string `json:"csv"`
		CSVSeparator  string `json:"csv_separator"`
		CSVImgKey     string `json:"csv_img_key"`
		CSVCaptionKey string `json:"csv_caption_key"`
		TSV           string `json:"tsv"`
		TSVSeparator  string `json:"tsv_separator"`
		TSVImgKey     string `json:"tsv_img_key"`
		TSVCaptionKey string `json:"tsv_caption_key"`
	} `json:"data"`
	BatchSize int `json:"batch_size"`
	Steps     int `json:"steps"`
	Optimizer struct {
		LR          float64    `json:"lr"`
		Betas       [2]float64 `json:"betas"`
		Eps         float64    `json:"eps"`
		WeightDecay float64    `json:"weight_decay"`
	} `json:"optimizer"`
	Scheduler struct {
		BaseLR     float64 `json:"base_lr"`
		Warmup     int     `json:"warmup_steps"`
		TotalSteps int     `json:"total_steps"`
	} `json:"scheduler"`
	GradClipNorm *float64 `json:"grad_clip_norm"`
}

type e2eStep struct {
	Step       int     `json:"step"`
	LR         float64 `json:"lr"`
	Loss       float64 `json:"loss"`
	GradNorm   float64 `json:"grad_norm"`
	LogitScale float64 `json:"logit_scale"`
}

// Tolerances of golden/train_e2e/README.md for a float32 implementation.
const (
	e2eLRRel         = 1e-12
	e2eLossRel       = 5e-6
	e2eGradNormRel   = 2e-5
	e2eLogitScaleAbs = 2e-5
	e2eFinalAbs      = 4e-4
	e2eFinalL2Rel    = 9e-4
)

// TestTrainGoldenE2E runs `clip train` on the reference run of
// golden/train_e2e (OpenAI's model under OpenCLIP's recipe on PNG files
// listed in a table), from the CSV and the TSV table, on one device and on
// two, and compares every step's lr, loss, gradient norm and logit_scale,
// and the final weights, with the reference within the README's
// tolerances. The run's settings are read from its config.json, so other
// runs of the same kind are checked the same way.
func TestTrainGoldenE2E(t *testing.T) {
	dir := golden.Path(t, "train_e2e")
	var cfg e2eConfig
	readJSON(t, filepath.Join(dir, "config.json"), &cfg)
	var traj struct {
		Steps []e2eStep `json:"steps"`
	}
	readJSON(t, filepath.Join(dir, "trajectory.json"), &traj)
	if len(traj.Steps) != cfg.Steps {
		t.Fatalf("trajectory.json has %d steps, config.json %d", len(traj.Steps), cfg.Steps)
	}
	tables := []struct{ file, sep, img, caption string }{
		{cfg.Data.CSV, cfg.Data.CSVSeparator, cfg.Data.CSVImgKey, cfg.Data.CSVCaptionKey},
		{cfg.Data.TSV, cfg.Data.TSVSeparator, cfg.Data.TSVImgKey, cfg.Data.TSVCaptionKey},
	}
	for _, tb := range tables {
		if tb.file == "" {
			continue
		}
		for _, devices := range []int{1, 2} {
			if cfg.BatchSize%devices != 0 {
				continue
			}
			t.Run(fmt.Sprintf("%s/devices=%d", tb.file, devices), func(t *testing.T) {
				run := filepath.Join(t.TempDir(), "run")
				clip := map[string]any{
					"model":           filepath.Join(dir, cfg.Model.Config),
					"pretrained":      filepath.Join(dir, cfg.Model.Weights),
					"train-data":      filepath.Join(dir, tb.file),
					"csv-separator":   tb.sep,
					"csv-img-key":     tb.img,
					"csv-caption-key": tb.caption,
					"batch-size":      cfg.BatchSize,
					"steps":           cfg.Steps,
					"lr":              cfg.Scheduler.BaseLR,
					"warmup":          cfg.Scheduler.Warmup,
					"weight-decay":    cfg.Optimizer.WeightDecay,
					"beta1":           cfg.Optimizer.Betas[0],
					"beta2":           cfg.Optimizer.Betas[1],
					"eps":             cfg.Optimizer.Eps,
					"shuffle":         false,
					"augment":         false,
					"devices":         devices,
					"run-dir":         run,
					"save-every":      0,
				}
				if cfg.GradClipNorm != nil {
					clip["grad-clip-norm"] = *cfg.GradClipNorm
				}
				if cfg.Scheduler.TotalSteps != cfg.Steps {
					t.Fatalf("config.json: schedule over %d steps but %d steps run; the trainer ties them", cfg.Scheduler.TotalSteps, cfg.Steps)
				}
				confPath := filepath.Join(t.TempDir(), "train.json")
				b, _ := json.Marshal(clip)
				if err := os.WriteFile(confPath, b, 0o644); err != nil {
					t.Fatal(err)
				}
				r := invocation{}.run(t, "train", "--config", confPath)
				r.expect(t, 0)
				if r.code != 0 {
					return
				}
				checkTrajectory(t, readStepRecords(t, filepath.Join(run, trainer.MetricsFile)), traj.Steps)
				checkFinalWeights(t,
					filepath.Join(trainer.CheckpointDir(run, cfg.Steps), "open_clip_model.safetensors"),
					filepath.Join(dir, "final.safetensors"),
					filepath.Join(dir, cfg.Model.Weights))
			})
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// readStepRecords reads the step lines of a metrics.jsonl.
func readStepRecords(t *testing.T, path string) []trainer.StepRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []trainer.StepRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"eval"`) {
			continue
		}
		var r trainer.StepRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func checkTrajectory(t *testing.T, got []trainer.StepRecord, want []e2eStep) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d steps logged, want %d", len(got), len(want))
	}
	rel := func(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-30) }
	var worst [4]struct {
		err  float64
		step int
	}
	for k, w := range want {
		g := got[k]
		if g.Step != w.Step {
			t.Fatalf("line %d is step %d, want %d", k, g.Step, w.Step)
		}
		for i, e := range []float64{rel(g.LR, w.LR), rel(g.Loss, w.Loss), rel(g.GradNorm, w.GradNorm), math.Abs(g.LogitScale - w.LogitScale)} {
			if e > worst[i].err || k == 0 {
				worst[i].err, worst[i].step = math.Max(e, worst[i].err), k
			}
		}
	}
	names := []string{"lr (relative)", "loss (relative)", "grad_norm (relative)", "logit_scale (absolute)"}
	bars := []float64{e2eLRRel, e2eLossRel, e2eGradNormRel, e2eLogitScaleAbs}
	for i, w := range worst {
		k := w.step
		t.Logf("%-22s worst %.3g at step %d (bar %.0e)", names[i], w.err, k, bars[i])
		if w.err > bars[i] {
			t.Errorf("%s: error %.3g at step %d over the bar %.0e: got lr %.17g loss %.9g grad_norm %.9g logit_scale %.9g, want %.17g %.9g %.9g %.9g",
				names[i], w.err, k, bars[i], got[k].LR, got[k].Loss, got[k].GradNorm, got[k].LogitScale,
				want[k].LR, want[k].Loss, want[k].GradNorm, want[k].LogitScale)
		}
	}
}

// checkFinalWeights compares every tensor of the trained checkpoint with
// the reference: max |Δ| and ‖Δ‖ / ‖final - initial‖ over all entries.
func checkFinalWeights(t *testing.T, gotPath, wantPath, initialPath string) {
	t.Helper()
	got, want, init := golden.ReadTensors(t, gotPath), golden.ReadTensors(t, wantPath), golden.ReadTensors(t, initialPath)
	var maxAbs, dd, moved float64
	worstName, worstIdx := "", 0
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("trained checkpoint lacks %s", name)
			continue
		}
		if len(g.F32) != len(w.F32) {
			t.Errorf("%s: %d values, want %d", name, len(g.F32), len(w.F32))
			continue
		}
		in := init[name].F32
		for i := range w.F32 {
			d := float64(g.F32[i]) - float64(w.F32[i])
			dd += d * d
			m := float64(w.F32[i]) - float64(in[i])
			moved += m * m
			if math.Abs(d) > maxAbs {
				maxAbs, worstName, worstIdx = math.Abs(d), name, i
			}
		}
	}
	l2 := math.Sqrt(dd) / math.Sqrt(moved)
	t.Logf("final weights: max |Δ| %.3g (%s[%d]), ‖Δ‖/‖final-initial‖ %.3g", maxAbs, worstName, worstIdx, l2)
	if maxAbs > e2eFinalAbs {
		t.Errorf("final weights: max |Δ| %.3g at %s[%d] (got %.9g, want %.9g) over %.0e", maxAbs, worstName, worstIdx,
			got[worstName].F32[worstIdx], want[worstName].F32[worstIdx], e2eFinalAbs)
	}
	if l2 > e2eFinalL2Rel {
		t.Errorf("final weights: ‖Δ‖/‖final-initial‖ = %.3g over %.0e", l2, e2eFinalL2Rel)
	}
}
