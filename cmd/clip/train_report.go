package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/clip-go/clip/internal/trainer"
)

// trainReport shows a run's progress on stderr: a bar with the loss and
// samples/s on a terminal, a log line every logEvery steps otherwise.
type trainReport struct {
	a              *app
	bar            *progressbar.ProgressBar
	total          int
	logEvery       int
	lastCheckpoint string
	finished       bool
}

func (a *app) newTrainReport(total, done, logEvery int) *trainReport {
	r := &trainReport{a: a, total: total, logEvery: logEvery}
	if a.isTerminal(a.stderr) {
		r.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("train"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("steps"),
			progressbar.OptionShowIts(),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
		)
		_ = r.bar.Set(done)
	}
	return r
}

// step reports one finished step.
func (r *trainReport) step(rec trainer.StepRecord) {
	if r.bar != nil {
		r.bar.Describe(fmt.Sprintf("loss %.4f | %.1f samples/s", rec.Loss, rec.SamplesPerS))
		_ = r.bar.Add(1)
		return
	}
	if n := rec.Step + 1; n%r.logEvery == 0 || n == r.total || rec.Step == 0 {
		r.a.logf("train: step %d/%d  loss %.4f  lr %.3g  scale %.2f  grad %.3g  %.1f samples/s  data wait %.0f%%",
			n, r.total, rec.Loss, rec.LR, rec.Scale, rec.GradNorm, rec.SamplesPerS, 100*rec.DataWait)
	}
}

// note prints a message without tearing the bar.
func (r *trainReport) note(format string, args ...any) {
	if r.bar != nil {
		_ = r.bar.Clear()
	}
	r.a.logf("train: "+format, args...)
}

// checkpoint records the newest checkpoint folder.
func (r *trainReport) checkpoint(dir string) {
	r.lastCheckpoint = dir
	if r.bar == nil {
		r.a.logf("train: checkpoint %s", dir)
	}
}

// finish ends the bar (once).
func (r *trainReport) finish() {
	if r.bar != nil && !r.finished {
		_ = r.bar.Exit()
		fmt.Fprintln(r.a.stderr)
	}
	r.finished = true
}

// formatEval renders evaluation metrics as "key value" pairs in key order.
func formatEval(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %.4f", k, m[k])
	}
	return strings.Join(parts, "  ")
}
