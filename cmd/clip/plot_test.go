package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/testfs"
)

// writeRun creates a run folder with a metrics.jsonl of steps training
// lines and an evaluation every 10 steps.
func writeRun(t *testing.T, steps int) string {
	t.Helper()
	var b strings.Builder
	for s := range steps {
		fmt.Fprintf(&b, `{"step":%d,"epoch":0,"loss":%g,"lr":%g,"logit_scale":2.659,"scale":14.28,"grad_norm":1.5,"samples_per_s":900,"data_wait":0.1,"skipped":0}`+"\n",
			s, 4-float64(s)/float64(steps), 1e-3*float64(s+1)/float64(steps))
		if (s+1)%10 == 0 {
			fmt.Fprintf(&b, `{"step":%d,"eval":{"zeroshot_top1":%g,"zeroshot_top5":%g}}`+"\n", s+1, float64(s)/100, float64(s)/50)
		}
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"metrics.jsonl": b.String()})
	return dir
}

// checkPNGFile decodes a chart and checks its size.
func checkPNGFile(t *testing.T, path string) {
	t.Helper()
	if b := testfs.ReadPNG(t, path).Bounds(); b.Dx() < 200 || b.Dy() < 150 || b.Dx() > 4000 || b.Dy() > 4000 {
		t.Errorf("%s: %v pixels", path, b)
	}
}

func TestPlot(t *testing.T) {
	run := writeRun(t, 40)
	r := runCLI(t, "plot", run)
	r.expect(t, exitOK, "drew 7 charts from 44 lines of "+filepath.Join(run, "metrics.jsonl"))
	want := []string{"loss.png", "lr.png", "logit_scale.png", "grad_norm.png", "throughput.png", "data_wait.png", "zeroshot.png"}
	var wantOut strings.Builder
	for _, name := range want {
		fmt.Fprintln(&wantOut, filepath.Join(run, name))
		checkPNGFile(t, filepath.Join(run, name))
	}
	if r.out != wantOut.String() {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.out, wantOut.String())
	}

	t.Run("--out", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "charts", "new")
		r := runCLI(t, "plot", run, "--out", out)
		r.expect(t, exitOK)
		if got := dirEntries(t, out); len(got) != len(want) {
			t.Errorf("%s holds %v, want the %d charts only", out, got, len(want))
		}
		checkPNGFile(t, filepath.Join(out, "zeroshot.png"))
		if !strings.HasPrefix(r.out, filepath.Join(out, "loss.png")+"\n") {
			t.Errorf("stdout:\n%s", r.out)
		}
	})
	t.Run("training lines only", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"metrics.jsonl": `{"step":0,"loss":3,"lr":0.1,"logit_scale":2.6}` + "\n"})
		r := runCLI(t, "plot", dir)
		r.expect(t, exitOK)
		if got := dirEntries(t, dir); fmt.Sprint(got) != "[logit_scale.png loss.png lr.png metrics.jsonl]" {
			t.Errorf("run folder holds %v", got)
		}
	})
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"bad/metrics.jsonl":   "{\"step\":0,\"loss\":1}\n{\"step\":1,\"loss\":\"x\"}\n",
		"empty/metrics.jsonl": "\n",
	})
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no run folder", []string{"plot"}, exitUsage, "want one run folder (holding metrics.jsonl), got 0 arguments"},
		{"two run folders", []string{"plot", dir, dir}, exitUsage, "got 2 arguments"},
		{"no metrics", []string{"plot", dir}, exitUsage, filepath.Join(dir, "metrics.jsonl") + ": no such file"},
		{"bad line", []string{"plot", filepath.Join(dir, "bad")}, exitFailure, filepath.Join(dir, "bad", "metrics.jsonl") + `:2: "loss" is "x", want a number`},
		{"nothing to draw", []string{"plot", filepath.Join(dir, "empty")}, exitFailure, "no values to draw"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runCLI(t, tc.args...).expect(t, tc.code, tc.want)
		})
	}
	if got := dirEntries(t, filepath.Join(dir, "bad")); len(got) != 1 {
		t.Errorf("a failed plot wrote files: %v", got)
	}
}
