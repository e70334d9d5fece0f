package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/npy"
	"github.com/clip-go/clip/internal/pipeline"
	"github.com/clip-go/clip/internal/testfs"
)

// TestMain clears the CLIP_ variables of the developer's shell, which
// would otherwise leak into the precedence tests (CLIP_GOLDEN stays: it
// only locates the reference data).
func TestMain(m *testing.M) {
	if args := os.Getenv(trainChildEnv); args != "" {
		runTrainChild(args)
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "CLIP_") && k != "CLIP_GOLDEN" {
			os.Unsetenv(k)
		}
	}
	os.Exit(m.Run())
}

// result is what one invocation produced.
type result struct {
	code        int
	out, errOut string
}

// invocation describes how to run the command line in-process.
type invocation struct {
	ctx   context.Context
	stdin string
	term  bool // pretend stdout and stderr are terminals
	fake  *fakeModel
}

func (inv invocation) run(t *testing.T, args ...string) result {
	t.Helper()
	return inv.runWith(t, nil, args...)
}

// runWith is run with setup applied to the app first (test hooks).
func (inv invocation) runWith(t *testing.T, setup func(*app), args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(strings.NewReader(inv.stdin), &out, &errOut)
	if inv.term {
		a.isTerminal = func(io.Writer) bool { return true }
	}
	if inv.fake != nil {
		a.open = inv.fake.open
	}
	if setup != nil {
		setup(a)
	}
	ctx := inv.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	code := a.execute(ctx, args)
	return result{code, out.String(), errOut.String()}
}

// runCLI runs through run() exactly as main does, with buffers.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

// expect checks the exit status and that stderr contains every want.
func (r result) expect(t *testing.T, code int, want ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.out, r.errOut)
	}
	for _, w := range want {
		if !strings.Contains(r.errOut, w) {
			t.Errorf("stderr does not mention %q:\n%s", w, r.errOut)
		}
	}
}

// fakeModel stands in for pipeline.Open: images are text files holding a
// number v (pixels all v) or "bad"; the image feature is [v, 1, 0, 0] and a
// text's feature is [len(text), number of words, 1, 0].
type fakeModel struct {
	mu      sync.Mutex
	opened  []string
	opts    pipeline.Options
	batches []int
	texts   []string
	failAt  int    // the model fails once this many rows were embedded
	onBatch func() // called after every model call
	rows    int
}

const fakeDim = 4

func (f *fakeModel) open(path string, opts pipeline.Options) (*pipeline.Model, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened = append(f.opened, path)
	f.opts = opts
	cfg := model.Config{EmbedDim: fakeDim}
	cfg.Vision.ImageSize = 2
	cfg.Text.ContextLength = 77
	return &pipeline.Model{Config: cfg, Encoder: (*fakeEncoder)(f), Tokenizer: fakeTokenizer{f}, LoadImage: fakeLoad}, nil
}

func fakeLoad(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 32)
	if err != nil {
		return nil, fmt.Errorf("not an image")
	}
	px := make([]float32, 3*2*2)
	for i := range px {
		px[i] = float32(v)
	}
	return px, nil
}

type fakeEncoder fakeModel

func (e *fakeEncoder) step(n int) error {
	f := (*fakeModel)(e)
	f.mu.Lock()
	f.batches = append(f.batches, n)
	f.rows += n
	fail := f.failAt > 0 && f.rows >= f.failAt
	cb := f.onBatch
	f.mu.Unlock()
	if cb != nil {
		cb()
	}
	if fail {
		return fmt.Errorf("device on fire")
	}
	return nil
}

func (e *fakeEncoder) EncodeImages(pixels []float32, n int) ([]float32, error) {
	if err := e.step(n); err != nil {
		return nil, err
	}
	per := len(pixels) / n
	out := make([]float32, 0, n*fakeDim)
	for i := range n {
		out = append(out, pixels[i*per], 1, 0, 0)
	}
	return out, nil
}

func (e *fakeEncoder) EncodeTexts(tokens [][]int32) ([]float32, error) {
	if err := e.step(len(tokens)); err != nil {
		return nil, err
	}
	out := make([]float32, 0, len(tokens)*fakeDim)
	for _, row := range tokens {
		out = append(out, float32(row[0]), float32(row[1]), 1, 0)
	}
	return out, nil
}

func (e *fakeEncoder) LogitScale() float32 { return 100 }

// fakeTokenizer encodes a text as [length in bytes, number of words] and
// records the texts it saw.
type fakeTokenizer struct{ f *fakeModel }

func (t fakeTokenizer) Tokenize(text string, n int) []int32 {
	t.f.mu.Lock()
	t.f.texts = append(t.f.texts, text)
	t.f.mu.Unlock()
	row := make([]int32, n)
	row[0], row[1] = int32(len(text)), int32(len(strings.Fields(text)))
	return row
}

// writeFiles creates files (name -> content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	testfs.WriteFiles(t, dir, files)
}

// readNPY reads an output array.
func readNPY(t *testing.T, path string) npy.Array {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// readLinesFile returns the lines of a text file.
func readLinesFile(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// dirEntries lists a folder's names.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
