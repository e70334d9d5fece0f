package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/golden"
)

// logs collects Logf lines.
type logs []string

func (l *logs) logf(format string, args ...any) { *l = append(*l, fmt.Sprintf(format, args...)) }

func TestOpenGolden(t *testing.T) {
	ref := golden.ReadTensors(t, golden.Path(t, "tiny-vit", "golden.safetensors"))
	var l logs
	m, err := Open(golden.Path(t, "tiny-vit"), Options{Backend: cpu.New(2), Logf: l.logf})
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.EmbedDim != 32 || m.Config.Vision.ImageSize != 32 || !strings.HasSuffix(m.WeightsPath, "open_clip_model.safetensors") {
		t.Errorf("config %+v weights %s", m.Config, m.WeightsPath)
	}
	if len(l) != 1 || !strings.HasPrefix(l[0], "tokenizer: built-in") || m.TokenizerSource == "" {
		t.Errorf("logs %q", l)
	}
	// PNG images end to end: decode, preprocess, model.
	names := []string{"chelsea.png", "coffee_portrait.png", "rocket_rgba.png"}
	rows := []int{0, 2, 5} // their positions in tiny-vit/inputs.json
	var paths []string
	for _, n := range names {
		paths = append(paths, golden.Path(t, "images", n))
	}
	var got []float32
	fails, err := m.EmbedImages(context.Background(), paths, BatchOptions{BatchSize: 2, Workers: 2}, func(b Batch) error {
		got = append(got, b.Features...)
		return nil
	})
	if err != nil || len(fails) != 0 {
		t.Fatalf("err %v failures %v", err, fails)
	}
	ref32 := ref["image_features"]
	for i, r := range rows {
		golden.AssertRel(t, names[i], got[i*32:(i+1)*32], ref32.F32[r*32:(r+1)*32], 1e-5)
	}
	// Texts: the tokenizer and the text tower.
	texts := []string{"a photo of a cat", "", "hello <|endoftext|> world"}
	tf, dim, err := m.TextFeatures(context.Background(), texts, BatchOptions{BatchSize: 2})
	if err != nil || dim != 32 {
		t.Fatalf("err %v dim %d", err, dim)
	}
	for i, r := range []int{0, 5, 6} {
		golden.AssertRel(t, fmt.Sprintf("text %q", texts[i]), tf[i*32:(i+1)*32], ref["text_features"].F32[r*32:(r+1)*32], 1e-5)
	}
}

// TestOpenClosesTheWeights: Open streams the weights from an open file;
// that file must be closed again whether Open succeeds or fails after
// opening it.
func TestOpenClosesTheWeights(t *testing.T) {
	fds := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("cannot count open files: %v", err)
		}
		return len(entries)
	}
	path := golden.Path(t, "tiny-vit")
	badTok := filepath.Join(t.TempDir(), "vocab.json")
	if err := os.WriteFile(badTok, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A first Open lets the runtime set up whatever it keeps open (the
	// poller), so that only the loader's own files are counted below.
	if _, err := Open(path, Options{Backend: cpu.New(1)}); err != nil {
		t.Fatal(err)
	}
	before := fds()
	if _, err := Open(path, Options{Backend: cpu.New(1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{Backend: cpu.New(1), TokenizerPath: badTok}); err == nil {
		t.Fatal("bad tokenizer accepted")
	}
	if after := fds(); after != before {
		t.Errorf("%d open files before Open, %d after", before, after)
	}
}

func TestNoteInferred(t *testing.T) {
	tests := []struct {
		source string
		want   int
	}{
		{checkpoint.InferredConfig, 1},
		{"/models/x/open_clip_config.json", 0},
	}
	for _, tc := range tests {
		var l logs
		noteInferred(&checkpoint.Checkpoint{ConfigSource: tc.source, WeightsPath: "/models/x/w.safetensors"}, l.logf)
		if len(l) != tc.want {
			t.Errorf("source %q: logs %q", tc.source, l)
		}
		if tc.want > 0 && (!strings.Contains(l[0], "/models/x/w.safetensors") || !strings.Contains(l[0], "inferred from tensor shapes")) {
			t.Errorf("log %q does not name the weights and the inference", l[0])
		}
	}
}

func TestOpenWithoutConfigNamesTheModel(t *testing.T) {
	// tiny-vit's text width (32) is not a multiple of 64, so its head count
	// cannot be inferred: the error must name the weights.
	dir := t.TempDir()
	b, err := os.ReadFile(golden.Path(t, "tiny-vit", "open_clip_model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "open_clip_model.safetensors"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{Backend: cpu.New(1)}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("got %v, want an error naming %s", err, dir)
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(golden.Path(t, "tiny-vit"), Options{}); err == nil || !strings.Contains(err.Error(), "no backend") {
		t.Errorf("nil backend: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Open(missing, Options{Backend: cpu.New(1)}); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing model: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "vocab.json")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(golden.Path(t, "tiny-vit"), Options{Backend: cpu.New(1), TokenizerPath: bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad tokenizer: %v", err)
	}
}

func TestLoadTokenizer(t *testing.T) {
	tokDir := golden.Path(t, "tokenizer")
	tests := []struct {
		name, path, dir, wantSrc string
	}{
		{"explicit file", filepath.Join(tokDir, "vocab.json"), "", filepath.Join(tokDir, "vocab.json")},
		{"found in folder", "", tokDir, filepath.Join(tokDir, "bpe_simple_vocab_16e6.txt.gz")},
		{"folder of a weights file", "", filepath.Join(tokDir, "merges.txt"), filepath.Join(tokDir, "bpe_simple_vocab_16e6.txt.gz")},
		{"built-in", "", golden.Path(t, "tiny-vit"), "built-in (OpenAI bpe_simple_vocab_16e6)"},
		{"no folder", "", "", "built-in (OpenAI bpe_simple_vocab_16e6)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, src, err := LoadTokenizer(tc.path, tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			if src != tc.wantSrc {
				t.Errorf("source %q, want %q", src, tc.wantSrc)
			}
			if got := fmt.Sprint(tok.IDs("a photo of a cat")); got != "[49406 320 1125 539 320 2368 49407]" {
				t.Errorf("ids %s", got)
			}
		})
	}
	if _, _, err := LoadTokenizer(filepath.Join(tokDir, "nope.txt.gz"), ""); err == nil {
		t.Error("missing tokenizer file accepted")
	}
}
