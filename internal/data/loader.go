package data

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// LoaderOptions configures a Loader.
type LoaderOptions struct {
	BatchSize int        // global batch size: samples per Next
	ImageSize int        // model input side R
	Mean, Std [3]float32 // per-channel normalisation (the model's)
	// Shuffle draws each epoch's order from (Seed, epoch); without it
	// every epoch is in file order.
	Shuffle bool
	// Augment applies OpenCLIP's training crop (RandomResizedCrop, scale
	// AugmentScale) instead of CLIP's inference resize and centre crop.
	Augment bool
	// AugmentScale is RandomResizedCrop's area range; zero means
	// OpenCLIP's (0.9, 1.0).
	AugmentScale [2]float64
	Seed         uint64
	Workers      int // decoding goroutines (<= 0: GOMAXPROCS)
	// Prefetch is how many batches are decoded ahead of the trainer
	// (<= 0: 2). Memory stays bounded by it: at most Prefetch*BatchSize
	// decoded samples (3*R*R float32 each) wait besides the batch being
	// handed out.
	Prefetch int
	// MaxPixels is imageproc's decompression-bomb limit (<= 0: its
	// default).
	MaxPixels int
	// Tokenize turns a caption into token ids (nil: Batch.Tokens rows are
	// nil). It is called from several goroutines at once.
	Tokenize func(caption string) ([]int32, error)
	// Strict makes a bad sample an error returned by Next, naming it,
	// instead of a skip.
	Strict bool
	// OnSkip, if set, is called from Next's goroutine for each skipped
	// sample.
	OnSkip func(SkippedSample)
}

// Position is where the next batch starts: the epoch and the offset into
// that epoch's order. A checkpoint saves Batch.Next to resume after that
// batch.
type Position struct {
	Epoch  int `json:"epoch"`
	Offset int `json:"offset"`
}

// SkippedSample is a sample left out, and why (Err names the image).
type SkippedSample struct {
	Key string
	Err error
}

// Batch is one global batch of model inputs.
type Batch struct {
	Pixels []float32 // [n, 3, R, R], n = BatchSize, normalised
	Tokens [][]int32 // n rows, as Tokenize returned them
	Keys   []string  // n sample keys, for messages
	// Start is where this batch began (after moving to the next epoch if
	// the previous one had ended), Next where the following one begins.
	Start, Next Position
	Skipped     int // samples skipped while filling this batch
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("data: loader closed")

// Loader decodes and preprocesses samples on a pool of workers, ahead of
// the trainer, and hands them out as batches in a deterministic order.
// Next and Close may be called from different goroutines; Next itself is
// not for concurrent use.
type Loader struct {
	ds  *Dataset
	opt LoaderOptions
	n   int // samples per epoch

	parent context.Context
	ctx    context.Context // cancelled by Close or the parent
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	jobs    chan job
	results chan result
	window  chan struct{} // one token per dispatched, not yet consumed sample
	bufs    sync.Pool     // *[]float32 of 3*R*R

	// Next's state.
	pending map[int64]result // results that arrived ahead of their turn
	seq     int64            // sequence number Next consumes next
	cursor  Position         // the position of seq
	pos     Position         // where the next batch starts
	err     error            // sticky: a Strict failure or a stop
	skipped atomic.Int64
}

// job is one position to decode; seq numbers the stream from the start.
type job struct {
	seq        int64
	epoch, pos int
	idx        int // index into the dataset
}

type result struct {
	job
	pixels *[]float32
	tokens []int32
	err    error
}

// NewLoader starts the workers and returns a Loader whose first batch
// begins at start ({0, 0} for a new run). It checks the options, not the
// data: a bad sample shows up in Next.
func NewLoader(ctx context.Context, ds *Dataset, opt LoaderOptions, start Position) (*Loader, error) {
	n := ds.Len()
	switch {
	case opt.BatchSize < 1:
		return nil, fmt.Errorf("data: batch size %d < 1", opt.BatchSize)
	case opt.ImageSize < 1:
		return nil, fmt.Errorf("data: image size %d < 1", opt.ImageSize)
	case n < opt.BatchSize:
		return nil, fmt.Errorf("data: %s has %d samples, fewer than one batch of %d", ds.Source, n, opt.BatchSize)
	case start.Epoch < 0 || start.Offset < 0 || start.Offset > n:
		return nil, fmt.Errorf("data: start position %+v outside an epoch of %d samples", start, n)
	}
	if opt.AugmentScale == ([2]float64{}) {
		opt.AugmentScale = defaultCropScale
	}
	if s := opt.AugmentScale; !(0 < s[0] && s[0] <= s[1] && s[1] <= 1) {
		return nil, fmt.Errorf("data: augment scale %v: want 0 < min <= max <= 1", s)
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Prefetch <= 0 {
		opt.Prefetch = 2
	}
	window := opt.Prefetch * opt.BatchSize
	l := &Loader{
		ds: ds, opt: opt, n: n,
		parent:  ctx,
		jobs:    make(chan job),
		results: make(chan result, window),
		window:  make(chan struct{}, window),
		pending: make(map[int64]result, window),
	}
	px := 3 * opt.ImageSize * opt.ImageSize
	l.bufs.New = func() any { b := make([]float32, px); return &b }
	l.ctx, l.cancel = context.WithCancel(ctx)
	l.pos = l.normalize(start)
	l.cursor = l.pos

	first := l.pos
	l.wg.Go(func() { l.dispatch(first) })
	for range opt.Workers {
		l.wg.Go(l.work)
	}
	return l, nil
}

// normalize moves p to the start of the next epoch when fewer than a
// batch of positions remain in its own.
func (l *Loader) normalize(p Position) Position {
	if l.n-p.Offset < l.opt.BatchSize {
		return Position{Epoch: p.Epoch + 1}
	}
	return p
}

// BatchesPerEpoch is Len()/BatchSize: the batches of an epoch in which no
// sample is skipped.
func (l *Loader) BatchesPerEpoch() int { return l.n / l.opt.BatchSize }

// Skipped is the number of samples skipped so far.
func (l *Loader) Skipped() int { return int(l.skipped.Load()) }

// Close stops the workers and waits for them. It is safe to call more
// than once and while Next is blocked (Next then returns ErrClosed).
func (l *Loader) Close() {
	l.once.Do(func() {
		l.cancel()
		l.wg.Wait()
	})
}

// dispatch feeds positions to the workers in stream order from start,
// epoch after epoch, never more than the window ahead of Next.
func (l *Loader) dispatch(start Position) {
	defer close(l.jobs)
	seq := int64(0)
	from := start.Offset
	for epoch := start.Epoch; ; epoch++ {
		order := epochOrder(l.n, l.opt.Shuffle, l.opt.Seed, epoch)
		for p := from; p < l.n; p++ {
			idx := p
			if order != nil {
				idx = order[p]
			}
			select {
			case l.window <- struct{}{}:
			case <-l.ctx.Done():
				return
			}
			select {
			case l.jobs <- job{seq: seq, epoch: epoch, pos: p, idx: idx}:
			case <-l.ctx.Done():
				return
			}
			seq++
		}
		from = 0
	}
}

// work decodes jobs until the jobs run out or the loader stops. Sending a
// result never blocks: the results channel holds the whole window.
func (l *Loader) work() {
	w := newWorker(l)
	for {
		select {
		case j, ok := <-l.jobs:
			if !ok {
				return
			}
			l.results <- w.process(j)
		case <-l.ctx.Done():
			return
		}
	}
}

// stopErr is the error Next returns once the loader has stopped.
func (l *Loader) stopErr() error {
	if err := l.parent.Err(); err != nil {
		return err
	}
	return ErrClosed
}

// take returns the next result of the stream, waiting for it.
func (l *Loader) take() (result, error) {
	for {
		if l.ctx.Err() != nil {
			// Stopped: no more batches, even if results are at hand.
			return result{}, l.stopErr()
		}
		if r, ok := l.pending[l.seq]; ok {
			delete(l.pending, l.seq)
			l.seq++
			<-l.window
			l.cursor = Position{Epoch: r.epoch, Offset: r.pos + 1}
			if l.cursor.Offset == l.n {
				l.cursor = Position{Epoch: r.epoch + 1}
			}
			return r, nil
		}
		select {
		case r := <-l.results:
			l.pending[r.seq] = r
		case <-l.ctx.Done():
			return result{}, l.stopErr()
		}
	}
}

func (l *Loader) release(r result) {
	if r.pixels != nil {
		l.bufs.Put(r.pixels)
	}
}

// Next blocks until the next batch is ready and returns it. It runs
// forever over epochs; it returns the context's error once the context is
// cancelled, ErrClosed after Close, and with Strict the error of the first
// bad sample. An error is final: later calls return it again. Each Batch is
// new; the Loader keeps no reference to it.
func (l *Loader) Next() (*Batch, error) {
	if l.err != nil {
		return nil, l.err
	}
	b, err := l.next()
	if err != nil {
		l.err = err
		return nil, err
	}
	return b, nil
}

func (l *Loader) next() (*Batch, error) {
	// Drop what the previous batch left of its epoch (decoded in vain).
	for l.cursor != l.pos {
		r, err := l.take()
		if err != nil {
			return nil, err
		}
		l.release(r)
	}
	bs, px := l.opt.BatchSize, 3*l.opt.ImageSize*l.opt.ImageSize
	b := &Batch{
		Pixels: make([]float32, bs*px),
		Tokens: make([][]int32, bs),
		Keys:   make([]string, bs),
		Start:  l.pos,
	}
	filled := 0
	for filled < bs {
		if l.cursor.Epoch != b.Start.Epoch {
			// Skips used up the epoch before the batch was full.
			if b.Start.Offset == 0 {
				return nil, fmt.Errorf("data: %s: epoch %d has fewer than %d usable samples (%d skipped in all)", l.ds.Source, b.Start.Epoch, bs, l.Skipped())
			}
			b.Start, filled = l.cursor, 0
			clear(b.Tokens)
			clear(b.Keys)
		}
		r, err := l.take()
		if err != nil {
			return nil, err
		}
		if r.err != nil {
			s := SkippedSample{Key: l.ds.Samples[r.idx].Key, Err: r.err}
			if l.opt.Strict {
				return nil, fmt.Errorf("data: sample %s (epoch %d, position %d): %w", s.Key, r.epoch, r.pos, s.Err)
			}
			b.Skipped++
			l.skipped.Add(1)
			if l.opt.OnSkip != nil {
				l.opt.OnSkip(s)
			}
			continue
		}
		copy(b.Pixels[filled*px:(filled+1)*px], *r.pixels)
		l.release(r)
		b.Tokens[filled] = r.tokens
		b.Keys[filled] = l.ds.Samples[r.idx].Key
		filled++
	}
	b.Next = l.normalize(l.cursor)
	l.pos = b.Next
	return b, nil
}
