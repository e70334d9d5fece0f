package data

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Every random choice is a pure function of (Seed, epoch, position), drawn
// from math/rand/v2's PCG (whose output sequence is fixed by its
// definition) through the helpers below rather than rand.Rand's methods,
// so that a checkpoint resumes identically under a later Go release too.

// Stream constants keep the permutation and the augmentation draws apart.
const (
	streamShuffle uint64 = 0x5348554646_4c45 // "SHUFFLE"
	streamAugment uint64 = 0x4155474d_454e54 // "AUGMENT"
)

// mix64 is SplitMix64's finaliser: a bijection that spreads every input
// bit over the output.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newRNG seeds a PCG from the seed, a stream and two coordinates.
func newRNG(seed, stream uint64, a, b int) *rand.PCG {
	return rand.NewPCG(mix64(seed^mix64(stream)), mix64(mix64(uint64(a)^stream)^uint64(b)))
}

// sampleRNG is the generator of the sample at pos in epoch's order.
func sampleRNG(seed uint64, epoch, pos int) *rand.PCG {
	return newRNG(seed, streamAugment, epoch, pos)
}

// uniform01 is a float64 in [0, 1) with 53 random bits.
func uniform01(r *rand.PCG) float64 {
	return float64(r.Uint64()>>11) * 0x1p-53
}

// uniform is a float64 in [lo, hi).
func uniform(r *rand.PCG, lo, hi float64) float64 {
	return lo + (hi-lo)*uniform01(r)
}

// intN is an unbiased integer in [0, n), n > 0 (Lemire's multiply and
// reject).
func intN(r *rand.PCG, n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(r.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(r.Uint64(), bound)
		}
	}
	return int(hi)
}

// epochOrder is epoch's order of n samples: nil (the identity) without
// shuffle, else a Fisher-Yates permutation seeded by (seed, epoch).
func epochOrder(n int, shuffle bool, seed uint64, epoch int) []int {
	if !shuffle {
		return nil
	}
	r := newRNG(seed, streamShuffle, epoch, 0)
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := intN(r, i+1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// Default crop ranges of OpenCLIP's training transform.
var (
	defaultCropScale = [2]float64{0.9, 1.0}
	cropRatio        = [2]float64{3.0 / 4.0, 4.0 / 3.0}
)

// cropBox is torchvision's RandomResizedCrop.get_params for a width x
// height image: up to 10 attempts, each drawing an area fraction in
// scale and a log-uniform aspect ratio in cropRatio, rounding the side
// lengths half to even as Python's round does, and accepting the first
// crop that fits, placed uniformly; otherwise the whole image clamped to
// the ratio range and centred. The draws come from r in torchvision's
// order (area, ratio, then top, left); r is not torch's generator, so the
// crops are torchvision's in distribution, not in value. The box is
// (left, top, right, bottom).
func cropBox(width, height int, scale [2]float64, r *rand.PCG) [4]int {
	area := float64(width) * float64(height)
	logLo, logHi := math.Log(cropRatio[0]), math.Log(cropRatio[1])
	for range 10 {
		target := area * uniform(r, scale[0], scale[1])
		aspect := math.Exp(uniform(r, logLo, logHi))
		w := int(math.RoundToEven(math.Sqrt(target * aspect)))
		h := int(math.RoundToEven(math.Sqrt(target / aspect)))
		if 0 < w && w <= width && 0 < h && h <= height {
			top := intN(r, height-h+1)
			left := intN(r, width-w+1)
			return [4]int{left, top, left + w, top + h}
		}
	}
	w, h := width, height
	switch in := float64(width) / float64(height); {
	case in < cropRatio[0]:
		h = int(math.RoundToEven(float64(w) / cropRatio[0]))
	case in > cropRatio[1]:
		w = int(math.RoundToEven(float64(h) * cropRatio[1]))
	}
	top, left := (height-h)/2, (width-w)/2
	return [4]int{left, top, left + w, top + h}
}
