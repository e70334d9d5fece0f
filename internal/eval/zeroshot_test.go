package eval

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/pipeline"
	"github.com/clip-go/clip/internal/testfs"
)

func TestZeroShot(t *testing.T) {
	dir := t.TempDir()
	testfs.WriteFiles(t, dir, map[string]string{
		"c0/a.png": "1,0,0",     // red: correct
		"c0/b.png": "0.4,0.5,0", // red scored below green: rank 1
		"c1/a.png": "0,1,0",     // green: correct
		"c2/a.png": "bad",       // unreadable
		"c2/b.png": "0.5,0.2,0.3",
	})
	f, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	var prompts []string
	progress, failed := 0, 0
	opts := pipeline.BatchOptions{
		BatchSize: 2,
		Workers:   2,
		Progress:  func() { progress++ },
		OnFailure: func(pipeline.ImageFailure) { failed++ },
	}
	res, err := ZeroShot(context.Background(), newFakeModel(&prompts), f, fakeVocab, []string{"a {} thing", "{}!"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Top1 != 0.5 || res.Top5 != 1 || res.N != 4 || res.Failed != 1 {
		t.Errorf("top1 %g top5 %g n %d failed %d, want 0.5 1 4 1", res.Top1, res.Top5, res.N, res.Failed)
	}
	want := []ClassResult{{"red", 2, 0.5, 1}, {"green", 1, 1, 1}, {"blue", 1, 0, 1}}
	if !reflect.DeepEqual(res.PerClass, want) {
		t.Errorf("per class %+v, want %+v", res.PerClass, want)
	}
	if len(res.Failures) != 1 || res.Failures[0].Path != filepath.Join(dir, "c2", "a.png") || failed != 1 {
		t.Errorf("failures %v (%d reported)", res.Failures, failed)
	}
	if progress != 5 {
		t.Errorf("progress called %d times, want once per image (5)", progress)
	}
	wantPrompts := []string{"a red thing", "red!", "a green thing", "green!", "a blue thing", "blue!"}
	if !reflect.DeepEqual(prompts, wantPrompts) {
		t.Errorf("prompts %q, want %q", prompts, wantPrompts)
	}
}

func TestZeroShotFolderNames(t *testing.T) {
	dir := t.TempDir()
	testfs.WriteFiles(t, dir, map[string]string{"blue/a.png": "0,0,1", "green/a.png": "0,1,0", "red/a.png": "0,1,0"})
	f, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ZeroShot(context.Background(), newFakeModel(nil), f, nil, []string{"{}"}, pipeline.BatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.PerClass[0].Name != "blue" || res.Top1 != 2.0/3 {
		t.Errorf("classes from folders: %+v, top1 %g", res.PerClass, res.Top1)
	}
}

func TestZeroShotErrors(t *testing.T) {
	f := &ImageFolder{Root: "r", Classes: []string{"a", "b"}, Paths: []string{"x"}, Labels: []int{0}}
	m := newFakeModel(nil)
	tests := []struct {
		names, templates []string
		f                *ImageFolder
		want             string
	}{
		{[]string{"a"}, []string{"{}"}, f, "1 class names for 2 class folders"},
		{nil, []string{"no braces"}, f, "has no {}"},
		{nil, []string{"{}"}, &ImageFolder{Root: "r", Classes: []string{"a"}, Paths: []string{"x"}, Labels: []int{1}}, "label 1"},
		{nil, []string{"{}"}, &ImageFolder{Root: "r", Classes: []string{"a"}, Paths: []string{"x"}}, "1 images but 0 labels"},
	}
	for _, tc := range tests {
		_, err := ZeroShot(context.Background(), m, tc.f, tc.names, tc.templates, pipeline.BatchOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ZeroShot(ctx, m, f, nil, []string{"{}"}, pipeline.BatchOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v", err)
	}
}

func TestRetrieval(t *testing.T) {
	dir := t.TempDir()
	testfs.WriteFiles(t, dir, map[string]string{"0.png": "1,0,0", "1.png": "0,1,0", "2.png": "0.9,0,0.1", "3.png": "bad"})
	images := []string{filepath.Join(dir, "0.png"), filepath.Join(dir, "1.png"), filepath.Join(dir, "2.png"), filepath.Join(dir, "3.png")}
	var prompts []string
	res, err := Retrieval(context.Background(), newFakeModel(&prompts), images, []string{"red", "green", "blue", "green again"}, pipeline.BatchOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.N != 3 || res.Failed != 1 || len(res.Failures) != 1 || res.Failures[0].Index != 3 {
		t.Errorf("n %d failed %d failures %v, want 3 pairs and image 3 dropped", res.N, res.Failed, res.Failures)
	}
	if !reflect.DeepEqual(prompts, []string{"red", "green", "blue"}) {
		t.Errorf("captions embedded %q: the failed image's caption should be dropped", prompts)
	}
	// Image 2 scores red (0.9) above its own caption "blue" (0.1): rank 1.
	wantI2T := RankMetrics{R1: 2.0 / 3, R5: 1, R10: 1, MeanRank: 1.0/3 + 1, MedianRank: 1}
	if d := res.ImageToText.MeanRank - wantI2T.MeanRank; d > 1e-12 || d < -1e-12 {
		t.Errorf("image to text mean rank %g, want %g", res.ImageToText.MeanRank, wantI2T.MeanRank)
	}
	res.ImageToText.MeanRank = wantI2T.MeanRank
	if res.ImageToText != wantI2T {
		t.Errorf("image to text %+v, want %+v", res.ImageToText, wantI2T)
	}
	if want := (RankMetrics{1, 1, 1, 1, 1}); res.TextToImage != want {
		t.Errorf("text to image %+v, want %+v", res.TextToImage, want)
	}

	if _, err := Retrieval(context.Background(), newFakeModel(nil), images, []string{"x"}, pipeline.BatchOptions{}); err == nil || !strings.Contains(err.Error(), "4 images but 1 captions") {
		t.Errorf("length mismatch: error %v", err)
	}
	res, err = Retrieval(context.Background(), newFakeModel(nil), images[3:], []string{"x"}, pipeline.BatchOptions{})
	if err != nil || res.N != 0 || res.Failed != 1 {
		t.Errorf("all images unreadable: %+v, %v", res, err)
	}
}
