package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/clip-go/clip/internal/model"
)

// DefaultBatchSize is the number of rows run through the model at once when
// BatchOptions.BatchSize is not set.
const DefaultBatchSize = 32

// BatchOptions controls batch embedding. Callbacks run on the caller's
// goroutine, in input order.
type BatchOptions struct {
	BatchSize int  // rows per model call; <= 0: DefaultBatchSize
	Workers   int  // image decoding goroutines; <= 0: GOMAXPROCS
	Normalize bool // L2-normalise every row

	// Progress, if set, is called once per input when it has been
	// embedded or has failed.
	Progress func()
	// OnFailure, if set, is called for each unreadable image as soon as it
	// is known (before the batch holding its neighbours is embedded).
	OnFailure func(ImageFailure)
}

func (o BatchOptions) batchSize() int {
	if o.BatchSize <= 0 {
		return DefaultBatchSize
	}
	return o.BatchSize
}

func (o BatchOptions) workers() int {
	if o.Workers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return o.Workers
}

// Batch is one model call's output: Features [len(Index), Dim] for the
// inputs at positions Index (ascending), named Names.
type Batch struct {
	Index    []int
	Names    []string
	Features []float32
	Dim      int
}

// ImageFailure records an image that could not be read or decoded.
type ImageFailure struct {
	Index int    // position in the input list
	Path  string // as given
	Err   error
}

// Error starts with the path, once: decoders usually start their errors
// with it already.
func (f ImageFailure) Error() string {
	msg := f.Err.Error()
	if strings.HasPrefix(msg, f.Path+":") {
		return msg
	}
	return f.Path + ": " + msg
}

// Unwrap returns the underlying error.
func (f ImageFailure) Unwrap() error { return f.Err }

// loaded is one decoded image (or why not).
type loaded struct {
	pixels []float32
	err    error
}

// EmbedImages embeds image files in input order, batchSize at a time, and
// hands each batch to sink. Images are decoded and preprocessed by a pool of
// workers running ahead of the model, with a bounded number of decoded
// images in memory. An image that cannot be read is reported through
// opts.OnFailure, returned in the failure list and skipped: the other rows
// are still produced. The error is for what stops the whole run: the
// context, the model, or sink.
func (m *Model) EmbedImages(ctx context.Context, paths []string, opts BatchOptions, sink func(Batch) error) ([]ImageFailure, error) {
	if m.LoadImage == nil || m.Encoder == nil {
		return nil, fmt.Errorf("embed images: model has no image loader or encoder")
	}
	bs, workers := opts.batchSize(), opts.workers()
	r := m.Config.Vision.ImageSize
	per := 3 * r * r

	// Defers run last-in first-out: cancel first so that the producer and
	// the workers stop, then wait for them so that no goroutine outlives
	// the call.
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		path string
		out  chan loaded
	}
	jobs := make(chan job)
	// pending holds, in input order, one result channel per image handed
	// to the workers; its capacity bounds how far decoding runs ahead.
	pending := make(chan chan loaded, bs+2*workers)

	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				j.out <- m.load(j.path) // buffered: never blocks
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pending)
		defer close(jobs)
		for _, p := range paths {
			out := make(chan loaded, 1)
			select {
			case pending <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{p, out}:
			case <-ctx.Done():
				return
			}
		}
	}()

	var (
		failures []ImageFailure
		pix      = make([]float32, 0, bs*per)
		index    []int
		names    []string
	)
	flush := func() error {
		if len(index) == 0 {
			return nil
		}
		feats, err := m.Encoder.EncodeImages(pix, len(index))
		if err != nil {
			return fmt.Errorf("encode images %s..%s: %w", names[0], names[len(names)-1], err)
		}
		b, err := newBatch(index, names, feats, opts.Normalize)
		if err != nil {
			return fmt.Errorf("encode images: %w", err)
		}
		if err := sink(b); err != nil {
			return err
		}
		for range index {
			if opts.Progress != nil {
				opts.Progress()
			}
		}
		pix, index, names = pix[:0], nil, nil
		return nil
	}

	i := 0
	for out := range pending {
		var res loaded
		select {
		case res = <-out:
		case <-ctx.Done():
			return failures, ctx.Err()
		}
		if res.err == nil && len(res.pixels) != per {
			res.err = fmt.Errorf("preprocessing gave %d values, want 3x%dx%d", len(res.pixels), r, r)
		}
		if res.err != nil {
			f := ImageFailure{Index: i, Path: paths[i], Err: res.err}
			failures = append(failures, f)
			if opts.OnFailure != nil {
				opts.OnFailure(f)
			}
			if opts.Progress != nil {
				opts.Progress()
			}
		} else {
			pix = append(pix, res.pixels...)
			index = append(index, i)
			names = append(names, paths[i])
		}
		i++
		if len(index) == bs {
			if err := ctx.Err(); err != nil {
				return failures, err
			}
			if err := flush(); err != nil {
				return failures, err
			}
		}
	}
	// The producer also stops early when the context is cancelled, which
	// closes pending: that is not the end of the input.
	if err := ctx.Err(); err != nil {
		return failures, err
	}
	return failures, flush()
}

// load runs LoadImage, turning a panic in a decoder into an error for that
// image: image decoders have panicked on crafted files before, and one bad
// file must not take down a long run.
func (m *Model) load(path string) (res loaded) {
	defer func() {
		if p := recover(); p != nil {
			res = loaded{err: fmt.Errorf("decoder panic: %v", p)}
		}
	}()
	px, err := m.LoadImage(path)
	return loaded{pixels: px, err: err}
}

// newBatch checks the feature count and optionally normalises the rows.
func newBatch(index []int, names []string, feats []float32, normalize bool) (Batch, error) {
	n := len(index)
	if n == 0 || len(feats)%n != 0 || len(feats) == 0 {
		return Batch{}, fmt.Errorf("model returned %d values for %d rows", len(feats), n)
	}
	dim := len(feats) / n
	if normalize {
		L2Normalize(feats, dim)
	}
	return Batch{Index: index, Names: names, Features: feats, Dim: dim}, nil
}

// lengthGroupBatches is how many batches of texts are sorted by length
// together. The text tower runs only up to the longest text of a batch, so
// batching texts of similar length saves most of the work on short prompts;
// the window bounds how far a text can move and how much is held in memory.
const lengthGroupBatches = 16

// EmbedTexts embeds texts, tokenised to the model's context length (longer
// texts are truncated, as clip.tokenize with truncate=True), and hands them
// to sink in input order, batchSize rows at a time. Within windows of
// lengthGroupBatches batches the model sees texts grouped by token length;
// a row's features do not depend on its batch, so this changes only speed.
func (m *Model) EmbedTexts(ctx context.Context, texts []string, opts BatchOptions, sink func(Batch) error) error {
	if m.Tokenizer == nil || m.Encoder == nil {
		return fmt.Errorf("embed texts: model has no tokenizer or encoder")
	}
	bs := opts.batchSize()
	ctxLen := m.Config.Text.ContextLength
	for lo := 0; lo < len(texts); lo += bs * lengthGroupBatches {
		hi := min(lo+bs*lengthGroupBatches, len(texts))
		tokens := make([][]int32, hi-lo)
		for i := range tokens {
			tokens[i] = m.Tokenizer.Tokenize(texts[lo+i], ctxLen)
		}
		feats, dim, err := m.encodeGrouped(ctx, tokens, bs, lo)
		if err != nil {
			return err
		}
		for b := 0; b < len(tokens); b += bs {
			e := min(b+bs, len(tokens))
			index := make([]int, e-b)
			for i := range index {
				index[i] = lo + b + i
			}
			batch, err := newBatch(index, texts[lo+b:lo+e], feats[b*dim:e*dim], opts.Normalize)
			if err != nil {
				return fmt.Errorf("encode texts: %w", err)
			}
			if err := sink(batch); err != nil {
				return err
			}
			for range index {
				if opts.Progress != nil {
					opts.Progress()
				}
			}
		}
	}
	return nil
}

// encodeGrouped encodes token rows in batches of bs taken in order of their
// end-of-text position, and returns the features in the rows' order.
// first is the input index of rows[0], for error messages.
func (m *Model) encodeGrouped(ctx context.Context, rows [][]int32, bs, first int) ([]float32, int, error) {
	pool := model.PoolPositions(rows)
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return pool[order[a]] < pool[order[b]] })
	var out []float32
	dim := 0
	for b := 0; b < len(order); b += bs {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		idx := order[b:min(b+bs, len(order))]
		batch := make([][]int32, len(idx))
		for i, r := range idx {
			batch[i] = rows[r]
		}
		feats, err := m.Encoder.EncodeTexts(batch)
		if err != nil {
			return nil, 0, fmt.Errorf("encode texts (inputs %d..%d): %w", first, first+len(rows)-1, err)
		}
		if len(feats) == 0 || len(feats)%len(idx) != 0 {
			return nil, 0, fmt.Errorf("encode texts: model returned %d values for %d rows", len(feats), len(idx))
		}
		if out == nil {
			dim = len(feats) / len(idx)
			out = make([]float32, len(rows)*dim)
		}
		for i, r := range idx {
			copy(out[r*dim:(r+1)*dim], feats[i*dim:(i+1)*dim])
		}
	}
	return out, dim, nil
}

// TextFeatures embeds texts and returns all rows [len(texts), E].
func (m *Model) TextFeatures(ctx context.Context, texts []string, opts BatchOptions) ([]float32, int, error) {
	var out []float32
	dim := 0
	err := m.EmbedTexts(ctx, texts, opts, func(b Batch) error {
		out = append(out, b.Features...)
		dim = b.Dim
		return nil
	})
	return out, dim, err
}
