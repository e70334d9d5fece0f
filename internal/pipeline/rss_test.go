//go:build linux

package pipeline

import (
	"encoding/json"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/model"
)

// rssChildEnv names the model folder the child process of TestOpenPeakRSS
// opens.
const rssChildEnv = "CLIP_PIPELINE_RSS_CHILD"

// peakRSSMiB is the process's peak resident set size, VmHWM in
// /proc/self/status. Not getrusage's ru_maxrss: Linux carries that over
// from the parent across fork and exec, so a child started by a test that
// has just written 100 MiB would start with the parent's peak.
func peakRSSMiB(t *testing.T) float64 {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("cannot read peak RSS: %v", err)
	}
	for line := range strings.Lines(string(st)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kib / 1024
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}

// TestOpenPeakRSS checks that Open streams the weights into the model: a
// fresh process that opens a ~100 MiB model grows its peak RSS by the
// weights plus a little (tokenizer, buffers), not by twice the weights as
// it does when a host copy of every tensor is made first. Peak RSS is a
// per-process high-water mark, hence the child process.
func TestOpenPeakRSS(t *testing.T) {
	if dir := os.Getenv(rssChildEnv); dir != "" {
		rssChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("writes a 100 MiB model")
	}
	if raceBuild() {
		t.Skip("the race detector's shadow memory inflates RSS")
	}
	peakRSSMiB(t) // skips here, not in the child, where it cannot be read
	cfg := model.Config{EmbedDim: 256, QuickGELU: true,
		Vision: model.VisionConfig{ImageSize: 224, Layers: 12, Width: 256, PatchSize: 32, HeadWidth: 64},
		Text:   model.TextConfig{ContextLength: 77, VocabSize: 49408, Width: 256, Heads: 4, Layers: 6}}.WithDefaults()
	tensors := map[string]model.HostTensor{}
	for _, p := range model.ParamTable(cfg) {
		shape := p.Shape
		if shape == nil {
			shape = []int{}
		}
		tensors[p.Name] = model.HostTensor{Shape: shape, Data: make([]float32, p.Numel())}
	}
	dir := t.TempDir()
	if err := checkpoint.WriteOpenCLIP(dir, cfg, tensors); err != nil {
		t.Fatal(err)
	}
	clear(tensors)

	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenPeakRSS$")
	cmd.Env = append(os.Environ(), rssChildEnv+"="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var r rssReport
	if err := findJSON(out, &r); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	growth := r.AfterMiB - r.BeforeMiB
	// The slack covers the built-in tokenizer (a few MiB) and the runtime;
	// a second copy of the weights is far above it.
	limit := 1.15*r.WeightsMiB + 32
	t.Logf("weights %.1f MiB; peak RSS %.1f MiB before Open, %.1f MiB after (growth %.2fx weights)",
		r.WeightsMiB, r.BeforeMiB, r.AfterMiB, growth/r.WeightsMiB)
	if growth > limit {
		t.Errorf("Open grew peak RSS by %.1f MiB for %.1f MiB of weights, want at most %.1f", growth, r.WeightsMiB, limit)
	}
}

// raceBuild reports whether the test binary was built with -race.
func raceBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// rssReport is what the child prints.
type rssReport struct {
	WeightsMiB, BeforeMiB, AfterMiB float64
}

// rssChild opens the model at dir and prints an rssReport line.
func rssChild(t *testing.T, dir string) {
	before := peakRSSMiB(t)
	m, err := Open(dir, Options{Backend: cpu.New(1)})
	if err != nil {
		t.Fatal(err)
	}
	after := peakRSSMiB(t)
	n := 0
	for _, p := range model.ParamTable(m.Config) {
		n += p.Numel()
	}
	b, err := json.Marshal(rssReport{WeightsMiB: float64(4*n) / (1 << 20), BeforeMiB: before, AfterMiB: after})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stdout.Write(append(append([]byte("RSS "), b...), '\n')); err != nil {
		t.Fatal(err)
	}
}

// findJSON decodes the JSON after the first "RSS " in out.
func findJSON(out []byte, v any) error {
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(line, "RSS "); ok {
			return json.Unmarshal([]byte(rest), v)
		}
	}
	return os.ErrNotExist
}
