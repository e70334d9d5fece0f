package imageproc

import (
	"image"
	"sync"
)

// scratch holds the buffers one resize needs, reused across calls through
// scratchPool so that a bulk run allocates nothing per image.
type scratch struct {
	pre    []uint8   // alpha-premultiplied source region
	tmp    []uint8   // the unpadded part of a padded window
	hpass  []uint8   // horizontal pass output
	acc    []int32   // vertical pass accumulator row
	itmp   []int32   // mode I: the unpadded part of a padded window
	ihpass []int32   // mode I horizontal pass output
	facc   []float64 // mode I vertical pass accumulator row
	rgb    []uint8   // PreprocessInto's RGB image
	win    Image     // the resized window, in the source mode
	crop   Image     // the crop of ResizedCropRGB
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// fullBox is the box PIL uses when none is given: the whole image.
func fullBox(m *Image) [4]float32 {
	return [4]float32{0, 0, float32(m.width), float32(m.height)}
}

// resizeWindow stores into out the window win (output coordinates) of PIL's
// img.resize((outW, outH), BICUBIC, box), in img's mode, with PIL's
// per-mode rules: modes 1 and P are resized with NEAREST, LA and RGBA on
// alpha-premultiplied samples, I in floating point. Parts of win outside
// [0, outW) x [0, outH) are zero, which is what torchvision's zero padding
// and PIL's crop beyond the border produce.
func resizeWindow(out *Image, img *Image, box [4]float32, outW, outH int, win image.Rectangle, s *scratch) {
	out.mode, out.width, out.height, out.palette = img.mode, win.Dx(), win.Dy(), img.palette
	ch := channels(img.mode)
	r := win.Intersect(image.Rect(0, 0, outW, outH))
	// The samples of r are computed into a contiguous buffer, which is the
	// output itself when nothing is padded.
	direct := r == win
	if img.mode == ModeI {
		out.ints = grow(out.ints, win.Dx()*win.Dy())
		if !direct {
			clear(out.ints)
		}
	} else {
		out.pix = grow(out.pix, win.Dx()*win.Dy()*ch)
		if !direct {
			clear(out.pix)
		}
	}
	if r.Empty() {
		return
	}
	n := r.Dx() * r.Dy()
	var dst []uint8
	var idst []int32
	switch {
	case img.mode == ModeI && direct:
		idst = out.ints
	case img.mode == ModeI:
		s.itmp = grow(s.itmp, n)
		idst = s.itmp
	case direct:
		dst = out.pix
	default:
		s.tmp = grow(s.tmp, n*ch)
		dst = s.tmp[:n*ch]
	}

	identity := outW == img.width && outH == img.height && box == fullBox(img)
	switch {
	case identity:
		copyWindow(dst, idst, img, r)
	case img.mode == ModeP || img.mode == ModeBilevel:
		resizeNearest(dst, img, box, outW, outH, r)
	case img.mode == ModeI:
		resizeInt(idst, img, box, outW, outH, r, s)
	default:
		resize8(dst, img, box, outW, outH, r, s)
	}

	if direct {
		return
	}
	// Place r inside the zero-padded window.
	ox, oy := r.Min.X-win.Min.X, r.Min.Y-win.Min.Y
	for y := range r.Dy() {
		if img.mode == ModeI {
			copy(out.ints[(oy+y)*win.Dx()+ox:], idst[y*r.Dx():(y+1)*r.Dx()])
		} else {
			copy(out.pix[((oy+y)*win.Dx()+ox)*ch:], dst[y*r.Dx()*ch:(y+1)*r.Dx()*ch])
		}
	}
}

// copyWindow copies the pixels r of img: PIL's resize to the same size
// returns a copy.
func copyWindow(dst []uint8, idst []int32, img *Image, r image.Rectangle) {
	if img.mode == ModeI {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			copy(idst[(y-r.Min.Y)*r.Dx():], img.ints[y*img.width+r.Min.X:y*img.width+r.Max.X])
		}
		return
	}
	p := newPlane(img)
	w := r.Dx() * p.ch
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(dst[(y-r.Min.Y)*w:], p.row(y, r.Min.X, r.Max.X))
	}
}

// resizeNearest is PIL's NEAREST resize, which it forces for modes 1 and P
// (averaging palette indices would be meaningless).
func resizeNearest(dst []uint8, img *Image, box [4]float32, outW, outH int, r image.Rectangle) {
	xs := nearestTable(img.width, box[0], box[2], outW, r.Min.X, r.Max.X)
	ys := nearestTable(img.height, box[1], box[3], outH, r.Min.Y, r.Max.Y)
	i := 0
	for _, sy := range ys {
		for _, sx := range xs {
			if sy >= 0 && sx >= 0 {
				dst[i] = img.pix[sy*img.width+sx]
			} else {
				dst[i] = 0
			}
			i++
		}
	}
}

// passes reports which passes PIL's ImagingResampleInner runs: a pass is
// skipped when its axis keeps its size and the box spans it exactly.
func passes(img *Image, box [4]float32, outW, outH int) (horizontal, vertical bool) {
	horizontal = outW != img.width || box[0] != 0 || box[2] != float32(outW)
	vertical = outH != img.height || box[1] != 0 || box[3] != float32(outH)
	return horizontal, vertical
}

// resize8 computes the pixels r of the bicubic resize of an 8-bit image
// into dst, [r.Dy(), r.Dx(), channels].
func resize8(dst []uint8, img *Image, box [4]float32, outW, outH int, r image.Rectangle, s *scratch) {
	needH, needV := passes(img, box, outW, outH)
	cv := coeffsFor(img.height, box[1], box[3], outH, r.Min.Y, r.Max.Y)
	var chz *axisCoeffs
	// The source region that the output window reads.
	sx0, sx1, sy0, sy1 := r.Min.X, r.Max.X, r.Min.Y, r.Max.Y
	if needH {
		chz = coeffsFor(img.width, box[0], box[2], outW, r.Min.X, r.Max.X)
		sx0, sx1 = chz.span()
	}
	if needV {
		sy0, sy1 = cv.span()
	}
	src := newPlane(img)
	premultiplied := img.mode == ModeRGBA || img.mode == ModeLA
	if premultiplied {
		src = premultiply(img, sx0, sx1, sy0, sy1, s)
	}
	ch := src.ch
	s.acc = grow(s.acc, r.Dx()*ch)
	switch {
	case needH && needV:
		s.hpass = grow(s.hpass, r.Dx()*ch*(sy1-sy0))
		resampleRows(s.hpass, src, chz, r.Min.X, r.Max.X, sy0, sy1)
		tp := plane{pix: s.hpass, stride: r.Dx() * ch, ch: ch, x0: r.Min.X, y0: sy0}
		resampleColumns(dst, tp, cv, r.Min.X, r.Max.X, r.Min.Y, r.Max.Y, s.acc)
	case needH:
		resampleRows(dst, src, chz, r.Min.X, r.Max.X, r.Min.Y, r.Max.Y)
	default:
		resampleColumns(dst, src, cv, r.Min.X, r.Max.X, r.Min.Y, r.Max.Y, s.acc)
	}
	if premultiplied {
		unpremultiply(dst[:r.Dx()*r.Dy()*ch], ch)
	}
}

// resizeInt computes the pixels r of the bicubic resize of a mode I image.
func resizeInt(dst []int32, img *Image, box [4]float32, outW, outH int, r image.Rectangle, s *scratch) {
	needH, needV := passes(img, box, outW, outH)
	cv := coeffsFor(img.height, box[1], box[3], outH, r.Min.Y, r.Max.Y)
	s.facc = grow(s.facc, r.Dx())
	switch {
	case needH && needV:
		chz := coeffsFor(img.width, box[0], box[2], outW, r.Min.X, r.Max.X)
		sy0, sy1 := cv.span()
		s.ihpass = grow(s.ihpass, r.Dx()*(sy1-sy0))
		tmp := s.ihpass
		resampleIntRows(tmp, img.ints, img.width, chz, r.Min.X, r.Max.X, sy0, sy1)
		resampleIntColumns(dst, tmp, r.Dx(), sy0, cv, 0, r.Dx(), r.Min.Y, r.Max.Y, s.facc)
	case needH:
		chz := coeffsFor(img.width, box[0], box[2], outW, r.Min.X, r.Max.X)
		resampleIntRows(dst, img.ints, img.width, chz, r.Min.X, r.Max.X, r.Min.Y, r.Max.Y)
	default:
		resampleIntColumns(dst, img.ints, img.width, 0, cv, r.Min.X, r.Max.X, r.Min.Y, r.Max.Y, s.facc)
	}
}
