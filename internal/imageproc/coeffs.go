package imageproc

import (
	"math"
	"sync"
)

// PIL's bicubic filter (Resample.c): Keys' cubic convolution with a = -0.5
// (PyTorch's interpolate uses -0.75), nonzero on (-2, 2).
const bicubicSupport = 2.0

// precisionBits is PIL's fixed-point precision for 8-bit images: 32 bits
// minus 8 for the sample minus 2 for the overshoot of negative lobes.
const precisionBits = 32 - 8 - 2

// bicubic evaluates the kernel in float64 with the operation order of PIL's
// C code. Each product is converted explicitly so that the compiler may not
// fuse it into an FMA: PIL's Debian build rounds every operation.
func bicubic(x float64) float64 {
	const a = -0.5
	if x < 0 {
		x = -x
	}
	if x < 1 {
		return float64(float64(float64((a+2)*x)-(a+3))*x)*x + 1
	}
	if x < 2 {
		return float64(float64(float64(float64(x-5)*x)+8)*x-4) * a
	}
	return 0
}

// axisCoeffs are PIL's precomputed weights for resampling one axis, for
// the outputs [lo, lo+len(first)) only: the centre crop of a 1xN image
// resized to 224 x 224N needs 224 rows of weights, not 224N. Output xx
// reads n input samples from first, weighted by fixed (8-bit images) or
// float (mode I); see taps.
type axisCoeffs struct {
	lo    int
	ksize int
	first []int
	n     []int
	fixed []int32   // [outputs, ksize], weights scaled by 1<<precisionBits and rounded
	float []float64 // [outputs, ksize], weights normalised to sum 1
}

// taps returns the first input sample of output xx and its fixed-point
// weights.
func (c *axisCoeffs) taps(xx int) (first int, k []int32) {
	i := xx - c.lo
	return c.first[i], c.fixed[i*c.ksize : i*c.ksize+c.n[i]]
}

// floatTaps is taps with the float64 weights.
func (c *axisCoeffs) floatTaps(xx int) (first int, k []float64) {
	i := xx - c.lo
	return c.first[i], c.float[i*c.ksize : i*c.ksize+c.n[i]]
}

// computeAxis reproduces PIL's precompute_coeffs for the bicubic filter,
// for outputs [o0, o1) of a resize of the source interval [in0, in1) (PIL
// keeps box coordinates in float32) of an axis of inSize samples to outSize
// samples. When shrinking, the kernel is stretched by the scale factor
// (antialiasing).
func computeAxis(inSize int, in0, in1 float32, outSize, o0, o1 int) *axisCoeffs {
	scale := float64(in1-in0) / float64(outSize)
	filterScale := max(scale, 1.0)
	support := bicubicSupport * filterScale
	ksize := int(math.Ceil(support))*2 + 1

	m := o1 - o0
	c := &axisCoeffs{
		lo:    o0,
		ksize: ksize,
		first: make([]int, m),
		n:     make([]int, m),
		fixed: make([]int32, m*ksize),
		float: make([]float64, m*ksize),
	}
	invScale := 1.0 / filterScale
	for i := range m {
		xx := o0 + i
		center := float64(in0) + float64((float64(xx)+0.5)*scale)
		// PIL rounds the window ends by adding 0.5 and truncating toward zero.
		xmin := int(center - support + 0.5)
		xmin = max(xmin, 0)
		xmax := int(center + support + 0.5)
		n := max(min(xmax, inSize)-xmin, 0)
		k := c.float[i*ksize : i*ksize+ksize]
		sum := 0.0
		for x := range n {
			w := bicubic(float64(float64(x+xmin)-center+0.5) * invScale)
			k[x] = w
			sum += w
		}
		for x := range n {
			if sum != 0 {
				k[x] /= sum
			}
		}
		c.first[i], c.n[i] = xmin, n
	}
	for i, w := range c.float {
		// PIL rounds half away from zero when converting to fixed point.
		if w < 0 {
			c.fixed[i] = int32(-0.5 + w*(1<<precisionBits))
		} else {
			c.fixed[i] = int32(0.5 + w*(1<<precisionBits))
		}
	}
	return c
}

// span returns the range of input samples [lo, hi) that all the outputs
// of c read.
func (c *axisCoeffs) span() (lo, hi int) {
	lo, hi = math.MaxInt, 0
	for i, n := range c.n {
		if n == 0 {
			continue
		}
		lo = min(lo, c.first[i])
		hi = max(hi, c.first[i]+n)
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

// The coefficient tables depend only on the sizes and the box, and a bulk
// run sees the same few source sizes again and again, so they are cached.
// The cache is cleared when it grows past maxCachedAxes so that a stream of
// odd sizes cannot grow it without bound.
const maxCachedAxes = 512

type axisKey struct {
	inSize, outSize, o0, o1 int
	in0, in1                float32
}

var axisCache struct {
	sync.Mutex
	m map[axisKey]*axisCoeffs
}

// coeffsFor returns the (shared, read-only) tables for outputs [o0, o1)
// of one axis.
func coeffsFor(inSize int, in0, in1 float32, outSize, o0, o1 int) *axisCoeffs {
	key := axisKey{inSize, outSize, o0, o1, in0, in1}
	axisCache.Lock()
	c := axisCache.m[key]
	axisCache.Unlock()
	if c != nil {
		return c
	}
	c = computeAxis(inSize, in0, in1, outSize, o0, o1)
	axisCache.Lock()
	if axisCache.m == nil || len(axisCache.m) >= maxCachedAxes {
		axisCache.m = make(map[axisKey]*axisCoeffs)
	}
	axisCache.m[key] = c
	axisCache.Unlock()
	return c
}

// nearestTable reproduces PIL's nearest-neighbour scaling (Geometry.c,
// ImagingScaleAffine), used for modes P and 1, for outputs [o0, o1):
// output i reads input int(in0 + step/2 + i*step), the position being
// accumulated by repeated addition from output 0 exactly as PIL does, so
// that its rounding is reproduced. -1 marks outputs that fall outside the
// input (PIL fills those with 0).
func nearestTable(inSize int, in0, in1 float32, outSize, o0, o1 int) []int {
	step := float64(in1-in0) / float64(outSize)
	pos := float64(in0) + step*0.5
	for range o0 {
		pos += step
	}
	tab := make([]int, o1-o0)
	for i := range tab {
		v := -1
		if pos >= 0 {
			v = int(pos)
		}
		if v >= inSize {
			v = -1
		}
		tab[i] = v
		pos += step
	}
	return tab
}
