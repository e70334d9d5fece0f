package eval

import (
	"context"
	"fmt"

	"github.com/clip-go/clip/internal/pipeline"
)

// RetrievalResult is an image-text retrieval evaluation over N pairs.
type RetrievalResult struct {
	N           int         `json:"n"`      // pairs scored
	Failed      int         `json:"failed"` // pairs dropped: their image could not be read
	ImageToText RankMetrics `json:"image_to_text"`
	TextToImage RankMetrics `json:"text_to_image"`
	// Failures are the unreadable images, in input order.
	Failures []pipeline.ImageFailure `json:"-"`
}

// Retrieval evaluates image-text retrieval on the pairs (images[i],
// captions[i]) with OpenCLIP's protocol (get_clip_metrics): the normalised
// features of all images and all captions are compared (cosine similarity,
// the logits up to the positive logit scale, which does not change ranks),
// image i's true caption is caption i and the reverse, and recall@1/5/10
// and the mean and median rank of the true item are reported per direction
// (see RankMetrics; ties count in the true item's favour, see ClassRanks).
// Repeated images or captions are separate rows, as in OpenCLIP.
//
// A pair whose image cannot be read is dropped (its caption with it) and
// listed in Failures; opts.OnFailure sees it as it happens and opts.Progress
// is called once per image. The similarity matrix is never held whole, so
// memory grows with the number of pairs, not its square.
func Retrieval(ctx context.Context, m *pipeline.Model, images, captions []string, opts pipeline.BatchOptions) (*RetrievalResult, error) {
	if len(images) != len(captions) {
		return nil, fmt.Errorf("retrieval: %d images but %d captions", len(images), len(captions))
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("retrieval: no image-caption pairs")
	}
	opts.Normalize = true
	var imgFeats []float32
	kept := make([]int, 0, len(images))
	imgDim := 0
	failures, err := m.EmbedImages(ctx, images, opts, func(b pipeline.Batch) error {
		imgFeats = append(imgFeats, b.Features...)
		kept = append(kept, b.Index...)
		imgDim = b.Dim
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &RetrievalResult{N: len(kept), Failed: len(failures), Failures: failures}
	if len(kept) == 0 {
		return res, nil
	}
	texts := make([]string, len(kept))
	for i, k := range kept {
		texts[i] = captions[k]
	}
	textOpts := opts
	textOpts.Progress = nil
	txtFeats, dim, err := m.TextFeatures(ctx, texts, textOpts)
	if err != nil {
		return nil, fmt.Errorf("retrieval: embed captions: %w", err)
	}
	if dim != imgDim {
		return nil, fmt.Errorf("retrieval: %d image features but %d text features", imgDim, dim)
	}
	n := len(kept)
	i2t, err := pairRanks(ctx, imgFeats, txtFeats, n, dim, opts.Workers)
	if err != nil {
		return nil, err
	}
	t2i, err := pairRanks(ctx, txtFeats, imgFeats, n, dim, opts.Workers)
	if err != nil {
		return nil, err
	}
	res.ImageToText = SummarizeRanks(i2t)
	res.TextToImage = SummarizeRanks(t2i)
	return res, nil
}
