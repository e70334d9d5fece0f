package data

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clip-go/clip/internal/imageproc"
	"github.com/clip-go/clip/internal/model"
)

// fakeTokenize turns a caption into its bytes; "badtoken" fails.
func fakeTokenize(c string) ([]int32, error) {
	if strings.Contains(c, "badtoken") {
		return nil, errors.New("cannot tokenize")
	}
	out := make([]int32, len(c))
	for i := range c {
		out[i] = int32(c[i])
	}
	return out, nil
}

func baseOptions(bs, size int) LoaderOptions {
	return LoaderOptions{
		BatchSize: bs, ImageSize: size,
		Mean: model.OpenAIMean, Std: model.OpenAIStd,
		Seed: 42, Workers: 2, Tokenize: fakeTokenize,
	}
}

func openTable(t testing.TB, path string) *Dataset {
	t.Helper()
	ds, err := ReadTable(path, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// collect returns n batches from a loader started at start.
func collect(t testing.TB, ds *Dataset, opt LoaderOptions, start Position, n int) []*Batch {
	t.Helper()
	l, err := NewLoader(context.Background(), ds, opt, start)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	out := make([]*Batch, n)
	for i := range out {
		if out[i], err = l.Next(); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	return out
}

// batchKeys lists each batch's keys as row numbers (line - 2).
func batchRows(t testing.TB, bs []*Batch) [][]int {
	t.Helper()
	out := make([][]int, len(bs))
	for i, b := range bs {
		for _, k := range b.Keys {
			_, line, ok := strings.Cut(k, " line ")
			n, err := strconv.Atoi(line)
			if !ok || err != nil {
				t.Fatalf("key %q", k)
			}
			out[i] = append(out[i], n-2)
		}
	}
	return out
}

func sameBatches(t *testing.T, what string, got, want []*Batch) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d batches, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !slices.Equal(g.Pixels, w.Pixels) || !reflect.DeepEqual(g.Tokens, w.Tokens) || !slices.Equal(g.Keys, w.Keys) ||
			g.Start != w.Start || g.Next != w.Next || g.Skipped != w.Skipped {
			t.Fatalf("%s: batch %d differs: keys %q start %v next %v skipped %d, want keys %q start %v next %v skipped %d",
				what, i, g.Keys, g.Start, g.Next, g.Skipped, w.Keys, w.Start, w.Next, w.Skipped)
		}
	}
}

func TestLoaderFileOrder(t *testing.T) {
	dir := t.TempDir()
	ds := openTable(t, imageTable(t, dir, 10, 9))
	opt := baseOptions(3, 6)
	bs := collect(t, ds, opt, Position{}, 7)
	wantRows := [][]int{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {0, 1, 2}}
	if got := batchRows(t, bs); !reflect.DeepEqual(got, wantRows) {
		t.Errorf("rows %v, want %v (tail row 9 dropped each epoch)", got, wantRows)
	}
	wantPos := [][2]Position{{{0, 0}, {0, 3}}, {{0, 3}, {0, 6}}, {{0, 6}, {1, 0}}, {{1, 0}, {1, 3}}}
	for i, w := range wantPos {
		if bs[i].Start != w[0] || bs[i].Next != w[1] {
			t.Errorf("batch %d: Start %v Next %v, want %v %v", i, bs[i].Start, bs[i].Next, w[0], w[1])
		}
	}
	// Pixels are exactly the inference transform; tokens come from Tokenize.
	px := 3 * 6 * 6
	for k, b := range bs[:3] {
		for j := range 3 {
			row := 3*k + j
			img, err := imageproc.DecodeFile(ds.Samples[row].Path, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := imageproc.Preprocess(img, 6, model.OpenAIMean, model.OpenAIStd)
			if !slices.Equal(b.Pixels[j*px:(j+1)*px], want) {
				t.Errorf("batch %d slot %d: pixels differ from imageproc.Preprocess", k, j)
			}
			if wantTok, _ := fakeTokenize(ds.Samples[row].Caption); !slices.Equal(b.Tokens[j], wantTok) {
				t.Errorf("batch %d slot %d: tokens %v, want %v", k, j, b.Tokens[j], wantTok)
			}
		}
	}
}

func TestLoaderSkips(t *testing.T) {
	dir := t.TempDir()
	path := imageTable(t, dir, 10, 9, 1, 7)
	ds := openTable(t, path)
	// Row 4's caption cannot be tokenized.
	ds.Samples[4].Caption = "a badtoken caption"

	var skipped []string
	opt := baseOptions(3, 5)
	opt.OnSkip = func(s SkippedSample) { skipped = append(skipped, s.Key+": "+s.Err.Error()) }
	l, err := NewLoader(context.Background(), ds, opt, Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type want struct {
		rows        []int
		start, next Position
		skipped     int
	}
	wants := []want{
		{[]int{0, 2, 3}, Position{0, 0}, Position{0, 4}, 1},
		// 4 (caption) and 7 (image) skipped; 10-9 < 3 positions are left,
		// so the tail (row 9) is dropped and epoch 1 begins.
		{[]int{5, 6, 8}, Position{0, 4}, Position{1, 0}, 2},
		{[]int{0, 2, 3}, Position{1, 0}, Position{1, 4}, 1},
	}
	for i, w := range wants {
		b, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		if got := batchRows(t, []*Batch{b})[0]; !slices.Equal(got, w.rows) || b.Start != w.start || b.Next != w.next || b.Skipped != w.skipped {
			t.Errorf("batch %d: rows %v start %v next %v skipped %d, want %v %v %v %d", i, got, b.Start, b.Next, b.Skipped, w.rows, w.start, w.next, w.skipped)
		}
	}
	if l.Skipped() != 4 || len(skipped) != 4 {
		t.Errorf("Skipped() = %d, OnSkip calls %d, want 4", l.Skipped(), len(skipped))
	}
	wantMsgs := []string{"data.csv line 3: " + filepath.Join(dir, "img", "r1.png") + ": unknown image format", "data.csv line 6: caption: cannot tokenize", "data.csv line 9: ", "data.csv line 3: "}
	for i, m := range wantMsgs {
		if i < len(skipped) && !strings.HasPrefix(skipped[i], m) {
			t.Errorf("skip %d = %q, want prefix %q", i, skipped[i], m)
		}
	}
	if l.BatchesPerEpoch() != 3 {
		t.Errorf("BatchesPerEpoch = %d", l.BatchesPerEpoch())
	}
}

func TestLoaderEpochRunsOutMidBatch(t *testing.T) {
	ds := openTable(t, imageTable(t, t.TempDir(), 10, 9, 7, 8))
	bs := collect(t, ds, baseOptions(3, 4), Position{}, 3)
	// Batch 2 starts at 6 (4 positions left) but only 6 and 9 are good:
	// the partial batch is dropped and epoch 1 fills it.
	if got := batchRows(t, bs); !reflect.DeepEqual(got, [][]int{{0, 1, 2}, {3, 4, 5}, {0, 1, 2}}) {
		t.Errorf("rows %v", got)
	}
	if bs[2].Start != (Position{1, 0}) || bs[2].Next != (Position{1, 3}) || bs[2].Skipped != 2 {
		t.Errorf("batch 2: start %v next %v skipped %d", bs[2].Start, bs[2].Next, bs[2].Skipped)
	}

	// Too few good samples in a whole epoch is an error, not a hang.
	ds = openTable(t, imageTable(t, t.TempDir(), 4, 9, 0, 1))
	l, err := NewLoader(context.Background(), ds, baseOptions(3, 4), Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = l.Next()
	if err == nil || !strings.Contains(err.Error(), "fewer than 3 usable samples") {
		t.Fatalf("error %v", err)
	}
	if _, err2 := l.Next(); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("the error is not sticky: %v", err2)
	}
}

func TestLoaderStrict(t *testing.T) {
	dir := t.TempDir()
	ds := openTable(t, imageTable(t, dir, 6, 9, 4))
	opt := baseOptions(2, 4)
	opt.Strict = true
	l, err := NewLoader(context.Background(), ds, opt, Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for range 2 {
		if _, err := l.Next(); err != nil {
			t.Fatal(err)
		}
	}
	_, err = l.Next()
	if err == nil || !strings.Contains(err.Error(), "data.csv line 6") || !strings.Contains(err.Error(), "r4.png") {
		t.Fatalf("Strict error %v should name the sample and its file", err)
	}
	if l.Skipped() != 0 {
		t.Errorf("Skipped = %d under Strict", l.Skipped())
	}
}

// TestLoaderDeterminism: batches do not depend on workers or prefetch, and
// resuming from any batch's Next position gives exactly what continuing
// gives, for every shuffle/augment combination, with skipped samples and
// across epoch boundaries.
func TestLoaderDeterminism(t *testing.T) {
	ds := openTable(t, imageTable(t, t.TempDir(), 23, 10, 3, 17))
	const nb = 13 // 5 batches per epoch: 2.6 epochs
	for _, mode := range []struct{ shuffle, augment bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		t.Run(fmt.Sprintf("shuffle=%v,augment=%v", mode.shuffle, mode.augment), func(t *testing.T) {
			opt := baseOptions(4, 6)
			opt.Shuffle, opt.Augment = mode.shuffle, mode.augment
			opt.Workers, opt.Prefetch = 1, 1
			ref := collect(t, ds, opt, Position{}, nb)
			opt.Workers, opt.Prefetch = 4, 3
			sameBatches(t, "4 workers", collect(t, ds, opt, Position{}, nb), ref)
			for k := 1; k < nb; k++ {
				sameBatches(t, fmt.Sprintf("resumed at %v", ref[k-1].Next), collect(t, ds, opt, ref[k-1].Next, nb-k), ref[k:])
			}
		})
	}
}

func TestLoaderShuffle(t *testing.T) {
	ds := openTable(t, imageTable(t, t.TempDir(), 24, 8))
	opt := baseOptions(4, 4)
	opt.Shuffle = true
	a := batchRows(t, collect(t, ds, opt, Position{}, 12))
	opt.Seed++
	b := batchRows(t, collect(t, ds, opt, Position{}, 6))
	epoch := func(rows [][]int, e int) []int { return slices.Concat(rows[6*e : 6*e+6]...) }
	for e := range 2 {
		got := slices.Sorted(slices.Values(epoch(a, e)))
		if want := seq(24); !slices.Equal(got, want) {
			t.Errorf("epoch %d is not a permutation: %v", e, epoch(a, e))
		}
	}
	if slices.Equal(epoch(a, 0), seq(24)) {
		t.Error("shuffled epoch 0 is in file order")
	}
	if slices.Equal(epoch(a, 0), epoch(a, 1)) {
		t.Error("epochs 0 and 1 have the same order")
	}
	if slices.Equal(epoch(a, 0), epoch(b, 0)) {
		t.Error("another seed gives the same order")
	}
	// The order itself is fixed by (seed, epoch): a regression guard for
	// resuming checkpoints across releases.
	if got, want := epochOrder(10, true, 1, 0), []int{7, 1, 3, 6, 8, 9, 2, 0, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("epochOrder(10, seed 1, epoch 0) = %v, want %v", got, want)
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestLoaderAugment(t *testing.T) {
	ds := openTable(t, imageTable(t, t.TempDir(), 8, 20))
	const size = 8
	opt := baseOptions(4, size)
	plain := collect(t, ds, opt, Position{}, 2)
	opt.Augment = true
	aug := collect(t, ds, opt, Position{}, 4)
	sameBatches(t, "same seed", collect(t, ds, opt, Position{}, 4), aug)
	opt.Seed++
	other := collect(t, ds, opt, Position{}, 2)
	if slices.Equal(aug[0].Pixels, other[0].Pixels) {
		t.Error("another seed gives the same augmented pixels")
	}
	if slices.Equal(aug[0].Pixels, plain[0].Pixels) {
		t.Error("augmented pixels equal the plain ones")
	}
	if slices.Equal(aug[0].Pixels, aug[2].Pixels) {
		t.Error("epoch 1 repeats epoch 0's crops")
	}
	// Each sample is RandomResizedCrop with the sample's own generator.
	px := 3 * size * size
	for e, b := range [][]*Batch{aug[:2], aug[2:]} {
		for k, batch := range b {
			for j := range 4 {
				pos := 4*k + j
				img, err := imageproc.DecodeFile(ds.Samples[pos].Path, 0)
				if err != nil {
					t.Fatal(err)
				}
				box := cropBox(img.Width(), img.Height(), defaultCropScale, sampleRNG(42, e, pos))
				want := imageproc.Normalize(imageproc.ResizedCropRGB(img, box, size), size, model.OpenAIMean, model.OpenAIStd)
				if !slices.Equal(batch.Pixels[j*px:(j+1)*px], want) {
					t.Errorf("epoch %d position %d: pixels differ from the crop %v", e, pos, box)
				}
			}
		}
	}
}

func TestLoaderOptionErrors(t *testing.T) {
	ds := openTable(t, imageTable(t, t.TempDir(), 4, 8))
	cases := []struct {
		name  string
		edit  func(*LoaderOptions)
		start Position
		want  string
	}{
		{"batch size", func(o *LoaderOptions) { o.BatchSize = 0 }, Position{}, "batch size 0"},
		{"image size", func(o *LoaderOptions) { o.ImageSize = 0 }, Position{}, "image size 0"},
		{"too few samples", func(o *LoaderOptions) { o.BatchSize = 5 }, Position{}, "fewer than one batch of 5"},
		{"negative offset", nil, Position{0, -1}, "outside an epoch"},
		{"offset past the end", nil, Position{0, 5}, "outside an epoch"},
		{"scale", func(o *LoaderOptions) { o.AugmentScale = [2]float64{0.5, 1.5} }, Position{}, "augment scale"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := baseOptions(2, 4)
			if c.edit != nil {
				c.edit(&opt)
			}
			l, err := NewLoader(context.Background(), ds, opt, c.start)
			if err == nil {
				l.Close()
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want %q", err, c.want)
			}
		})
	}
	// Offset == Len is a valid resume point: the next epoch.
	l, err := NewLoader(context.Background(), ds, baseOptions(2, 4), Position{3, 4})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if b, err := l.Next(); err != nil || b.Start != (Position{4, 0}) {
		t.Errorf("start at the end of epoch 3: %v %v", b, err)
	}
}

// waitGoroutines waits for the goroutine count to come back to n.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, want %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoaderPrefetchIsBounded(t *testing.T) {
	ds := openTable(t, imageTable(t, t.TempDir(), 40, 6))
	var calls atomic.Int64
	opt := baseOptions(4, 4)
	opt.Workers, opt.Prefetch = 3, 2
	opt.Tokenize = func(c string) ([]int32, error) { calls.Add(1); return fakeTokenize(c) }
	l, err := NewLoader(context.Background(), ds, opt, Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	settle := func(want int64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for calls.Load() < want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(30 * time.Millisecond)
		if got := calls.Load(); got != want {
			t.Errorf("%d samples decoded, want exactly %d (Prefetch*BatchSize ahead)", got, want)
		}
	}
	settle(8)
	if _, err := l.Next(); err != nil {
		t.Fatal(err)
	}
	settle(12)
}

func TestLoaderCloseAndCancel(t *testing.T) {
	ds := openTable(t, imageTable(t, t.TempDir(), 12, 6))

	t.Run("close with a full window", func(t *testing.T) {
		base := runtime.NumGoroutine()
		l, err := NewLoader(context.Background(), ds, baseOptions(2, 4), Position{})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		l.Close()
		l.Close()
		if _, err := l.Next(); !errors.Is(err, ErrClosed) {
			t.Errorf("Next after Close: %v", err)
		}
		waitGoroutines(t, base)
	})

	// A Tokenize that blocks until the gate opens keeps Next waiting.
	blocking := func(gate chan struct{}) LoaderOptions {
		opt := baseOptions(2, 4)
		opt.Tokenize = func(c string) ([]int32, error) { <-gate; return fakeTokenize(c) }
		return opt
	}

	t.Run("cancel while Next waits", func(t *testing.T) {
		base := runtime.NumGoroutine()
		gate := make(chan struct{})
		ctx, cancel := context.WithCancel(context.Background())
		l, err := NewLoader(ctx, ds, blocking(gate), Position{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { _, err := l.Next(); done <- err }()
		time.Sleep(20 * time.Millisecond)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Next after cancel: %v", err)
		}
		close(gate)
		l.Close()
		waitGoroutines(t, base)
	})

	t.Run("close while Next waits", func(t *testing.T) {
		base := runtime.NumGoroutine()
		gate := make(chan struct{})
		l, err := NewLoader(context.Background(), ds, blocking(gate), Position{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { _, err := l.Next(); done <- err }()
		time.Sleep(20 * time.Millisecond)
		closed := make(chan struct{})
		go func() { l.Close(); close(closed) }()
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Errorf("Next after Close: %v", err)
		}
		close(gate) // Close waits for the workers' current samples
		<-closed
		waitGoroutines(t, base)
	})

	t.Run("close mid-run", func(t *testing.T) {
		base := runtime.NumGoroutine()
		opt := baseOptions(3, 4)
		opt.Shuffle, opt.Augment, opt.Workers = true, true, 4
		l, err := NewLoader(context.Background(), ds, opt, Position{})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if _, err := l.Next(); err != nil {
				t.Fatal(err)
			}
		}
		l.Close()
		waitGoroutines(t, base)
	})
}
