package eval

import (
	"context"
	"fmt"

	"github.com/clip-go/clip/internal/pipeline"
)

// ZeroShot classifies every image of f zero-shot, as OpenCLIP's
// zero_shot_eval: a classifier is built from classNames (nil: the folder
// names) written into every template (pipeline.Model.NewClassifier), each
// image is embedded and scored against every class by cosine similarity, and
// the true class's rank gives top-1 and top-5 accuracy (see ClassRanks for
// ties).
//
// An unreadable image is skipped and listed in Failures (and reported
// through opts.OnFailure as it happens); accuracy is over the images that
// were read. opts.Progress is called once per image, not for the prompts.
// The error is for what stops the whole run: bad arguments, the context,
// the model.
func ZeroShot(ctx context.Context, m *pipeline.Model, f *ImageFolder, classNames, templates []string, opts pipeline.BatchOptions) (*ZeroShotResult, error) {
	if classNames == nil {
		classNames = f.Classes
	}
	if len(classNames) != len(f.Classes) {
		return nil, fmt.Errorf("zero-shot %s: %d class names for %d class folders", f.Root, len(classNames), len(f.Classes))
	}
	if len(f.Paths) != len(f.Labels) {
		return nil, fmt.Errorf("zero-shot %s: %d images but %d labels", f.Root, len(f.Paths), len(f.Labels))
	}
	numClasses := len(classNames)
	for i, l := range f.Labels {
		if l < 0 || l >= numClasses {
			return nil, fmt.Errorf("zero-shot %s: image %s has label %d, want 0..%d", f.Root, f.Paths[i], l, numClasses-1)
		}
	}

	textOpts := opts
	textOpts.Progress = nil
	clf, err := m.NewClassifier(ctx, classNames, templates, textOpts)
	if err != nil {
		return nil, fmt.Errorf("zero-shot %s: %w", f.Root, err)
	}

	opts.Normalize = true
	ranks := make([]int, 0, len(f.Paths))
	labels := make([]int, 0, len(f.Paths))
	var scores []float32
	failures, err := m.EmbedImages(ctx, f.Paths, opts, func(b pipeline.Batch) error {
		if b.Dim != clf.Dim {
			return fmt.Errorf("zero-shot: %d image features, the class embeddings have %d", b.Dim, clf.Dim)
		}
		n := len(b.Index)
		if cap(scores) < n*numClasses {
			scores = make([]float32, n*numClasses)
		}
		s := scores[:n*numClasses]
		similarities(b.Features, n, clf.Weights, numClasses, clf.Dim, opts.Workers, s)
		for i, idx := range b.Index {
			l := f.Labels[idx]
			ranks = append(ranks, rankOf(s[i*numClasses:(i+1)*numClasses], l))
			labels = append(labels, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := zeroShotFromRanks(ranks, labels, classNames)
	res.Failed = len(failures)
	res.Failures = failures
	return res, nil
}
