package data

import (
	"fmt"

	"github.com/clip-go/clip/internal/imageproc"
)

// worker turns one sample into model inputs; each decoding goroutine has
// its own, with its own scratch.
type worker struct {
	l   *Loader
	rgb []uint8 // [R, R, 3] for the augmented path
}

func newWorker(l *Loader) *worker {
	return &worker{l: l}
}

// process decodes and preprocesses the sample of j. Everything it does is
// a function of the sample and (Seed, epoch, position), so any worker
// gives the same result.
func (w *worker) process(j job) (r result) {
	r.job = j
	defer func() {
		// A corrupt sample must cost one sample, not the run.
		if p := recover(); p != nil {
			w.l.release(r)
			r.pixels, r.tokens = nil, nil
			r.err = fmt.Errorf("preprocessing failed: %v", p)
		}
	}()
	opt := &w.l.opt
	ds := w.l.ds
	s := &ds.Samples[j.idx]
	if opt.Tokenize != nil {
		toks, err := opt.Tokenize(s.Caption)
		if err != nil {
			r.err = fmt.Errorf("caption: %w", err)
			return r
		}
		r.tokens = toks
	}
	raw, err := ds.ReadImage(j.idx)
	if err != nil {
		r.err = err
		return r
	}
	name := s.Path
	if s.IsTarMember() {
		name = s.Key
	}
	img, err := imageproc.DecodeBytes(raw, name, opt.MaxPixels)
	if err != nil {
		r.err = err
		return r
	}
	r.pixels = w.l.bufs.Get().(*[]float32)
	size := opt.ImageSize
	if !opt.Augment {
		// Exactly `clip embed`'s transform.
		imageproc.PreprocessInto(*r.pixels, img, size, opt.Mean, opt.Std)
		return r
	}
	box := cropBox(img.Width(), img.Height(), opt.AugmentScale, sampleRNG(opt.Seed, j.epoch, j.pos))
	w.rgb = grow(w.rgb, 3*size*size)
	imageproc.ResizedCropRGBInto(w.rgb, img, box, size)
	imageproc.NormalizeInto(*r.pixels, w.rgb, size, opt.Mean, opt.Std)
	return r
}

func grow(b []uint8, n int) []uint8 {
	if cap(b) < n {
		return make([]uint8, n)
	}
	return b[:n]
}
