package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestEmbedImagesOrderAndFailures(t *testing.T) {
	paths := []string{"img0.png", "bad1.png", "img2.png", "img3.png", "panic.png", "img5.png", "short.png", "img7.png"}
	wantRows := []int{0, 2, 3, 5, 7}
	for _, bs := range []int{1, 2, 3, 100} {
		for _, workers := range []int{1, 3, 8} {
			t.Run(fmt.Sprintf("bs%d_w%d", bs, workers), func(t *testing.T) {
				enc := &fakeEncoder{}
				m := fakeModel(enc)
				var got []int
				var names []string
				var reported []string
				progress := 0
				fails, err := m.EmbedImages(context.Background(), paths, BatchOptions{
					BatchSize: bs, Workers: workers,
					Progress:  func() { progress++ },
					OnFailure: func(f ImageFailure) { reported = append(reported, f.Path) },
				}, func(b Batch) error {
					if b.Dim != fakeDim || len(b.Features) != len(b.Index)*fakeDim {
						t.Errorf("batch dim %d with %d values for %d rows", b.Dim, len(b.Features), len(b.Index))
					}
					for r, idx := range b.Index {
						// The fake feature is the image's pixel value = its number.
						if v := b.Features[r*fakeDim]; int(v) != idx {
							t.Errorf("row for input %d has feature %g", idx, v)
						}
					}
					got = append(got, b.Index...)
					names = append(names, b.Names...)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(wantRows) {
					t.Errorf("rows %v, want %v", got, wantRows)
				}
				for i, n := range names {
					if n != paths[got[i]] {
						t.Errorf("name %d = %s, want %s", i, n, paths[got[i]])
					}
				}
				var failed []string
				for _, f := range fails {
					failed = append(failed, f.Path)
					if f.Index < 0 || paths[f.Index] != f.Path || f.Err == nil {
						t.Errorf("bad failure record %+v", f)
					}
				}
				if want := "[bad1.png panic.png short.png]"; fmt.Sprint(failed) != want || fmt.Sprint(reported) != want {
					t.Errorf("failures %v, reported %v, want %s", failed, reported, want)
				}
				if !strings.Contains(fails[1].Error(), "panic") || !strings.Contains(fails[2].Error(), "want 3x2x2") {
					t.Errorf("failure messages: %v / %v", fails[1], fails[2])
				}
				if progress != len(paths) {
					t.Errorf("progress called %d times, want %d", progress, len(paths))
				}
				for _, n := range enc.batches {
					if n > bs {
						t.Errorf("model call with %d rows, batch size %d", n, bs)
					}
				}
			})
		}
	}
}

func TestImageFailureNamesThePathOnce(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errors.New("not an image"), "x.png: not an image"},
		{errors.New("x.png: unknown format"), "x.png: unknown format"},
		{fmt.Errorf("open x.png: %w", os.ErrNotExist), "x.png: open x.png: file does not exist"},
	}
	for _, tc := range tests {
		f := ImageFailure{Path: "x.png", Err: tc.err}
		if f.Error() != tc.want {
			t.Errorf("got %q, want %q", f.Error(), tc.want)
		}
		if !errors.Is(f, tc.err) {
			t.Errorf("%v does not unwrap to %v", f, tc.err)
		}
	}
}

func TestEmbedImagesNormalize(t *testing.T) {
	m := fakeModel(&fakeEncoder{})
	_, err := m.EmbedImages(context.Background(), []string{"img3.png", "img0.png"}, BatchOptions{Normalize: true}, func(b Batch) error {
		for r := range b.Index {
			row := b.Features[r*b.Dim : (r+1)*b.Dim]
			var ss float64
			for _, v := range row {
				ss += float64(v) * float64(v)
			}
			if math.Abs(ss-1) > 1e-6 {
				t.Errorf("row %d has squared norm %g", r, ss)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEmbedImagesErrorsStopTheRun(t *testing.T) {
	paths := make([]string, 50)
	for i := range paths {
		paths[i] = fmt.Sprintf("img%d.png", i)
	}
	sinkErr := errors.New("disk full")
	tests := []struct {
		name    string
		enc     *fakeEncoder
		sink    func(Batch) error
		want    string
		wantErr error
	}{
		{"model", &fakeEncoder{failAt: 10}, func(Batch) error { return nil }, "device on fire", nil},
		{"sink", &fakeEncoder{}, func(Batch) error { return sinkErr }, "disk full", sinkErr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			_, err := fakeModel(tc.enc).EmbedImages(context.Background(), paths, BatchOptions{BatchSize: 4, Workers: 4}, tc.sink)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v does not wrap %v", err, tc.wantErr)
			}
			waitGoroutines(t, before)
		})
	}
}

func TestEmbedImagesCancel(t *testing.T) {
	paths := make([]string, 1000)
	for i := range paths {
		paths[i] = fmt.Sprintf("img%d.png", i)
	}
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	rows := 0
	_, err := fakeModel(&fakeEncoder{}).EmbedImages(ctx, paths, BatchOptions{BatchSize: 2, Workers: 3}, func(b Batch) error {
		rows += len(b.Index)
		if rows >= 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if rows >= len(paths) {
		t.Error("cancellation did not stop the run")
	}
	waitGoroutines(t, before)
}

func TestEmbedImagesEmptyAndMisconfigured(t *testing.T) {
	m := fakeModel(&fakeEncoder{})
	calls := 0
	fails, err := m.EmbedImages(context.Background(), nil, BatchOptions{}, func(Batch) error { calls++; return nil })
	if err != nil || len(fails) != 0 || calls != 0 {
		t.Errorf("empty input: fails %v err %v sink calls %d", fails, err, calls)
	}
	m.LoadImage = nil
	if _, err := m.EmbedImages(context.Background(), []string{"img1.png"}, BatchOptions{}, func(Batch) error { return nil }); err == nil {
		t.Error("no image loader accepted")
	}
}

// waitGoroutines fails if goroutines started by the call are still running.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines left running (was %d)", runtime.NumGoroutine(), before)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

func TestEmbedTexts(t *testing.T) {
	texts := []string{"a", "bb cc", "", "one two three four five six"}
	for _, bs := range []int{1, 3, 10} {
		enc := &fakeEncoder{}
		m := fakeModel(enc)
		var idx []int
		var feats []float32
		progress := 0
		err := m.EmbedTexts(context.Background(), texts, BatchOptions{BatchSize: bs, Progress: func() { progress++ }}, func(b Batch) error {
			idx = append(idx, b.Index...)
			feats = append(feats, b.Features...)
			for i, n := range b.Names {
				if n != texts[b.Index[i]] {
					t.Errorf("name %q for input %d", n, b.Index[i])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(idx) != "[0 1 2 3]" || progress != 4 {
			t.Errorf("bs %d: rows %v progress %d", bs, idx, progress)
		}
		// Feature 1 is the number of tokens: truncated to the context length 4.
		if got := []float32{feats[1], feats[4], feats[7], feats[10]}; fmt.Sprint(got) != "[1 2 0 4]" {
			t.Errorf("bs %d: token counts %v", bs, got)
		}
		for _, n := range enc.batches {
			if n > bs {
				t.Errorf("model call with %d rows, batch size %d", n, bs)
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := fakeModel(&fakeEncoder{}).EmbedTexts(ctx, texts, BatchOptions{}, func(Batch) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestL2Normalize(t *testing.T) {
	x := []float32{3, 4, 0, 0, 0, 0, -1, 0, 0}
	L2Normalize(x, 3)
	want := []float32{0.6, 0.8, 0, 0, 0, 0, -1, 0, 0}
	for i := range want {
		if math.Abs(float64(x[i]-want[i])) > 1e-7 {
			t.Errorf("x[%d] = %g, want %g", i, x[i], want[i])
		}
	}
	L2Normalize(x, 0) // no-op, no panic
}
