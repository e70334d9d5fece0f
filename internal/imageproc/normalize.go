package imageproc

import "fmt"

// Normalize is torchvision's ToTensor followed by Normalize(mean, std) on
// an RGB image, uint8 [size, size, 3], giving float32 [3, size, size]. Each
// value is computed as torch does it, one rounded float32 operation at a
// time: x = float32(v) / 255, then (x - mean[c]) / std[c].
func Normalize(rgb []uint8, size int, mean, std [3]float32) []float32 {
	dst := make([]float32, 3*size*size)
	NormalizeInto(dst, rgb, size, mean, std)
	return dst
}

// NormalizeInto is Normalize writing into dst, which must hold 3*size*size
// values.
func NormalizeInto(dst []float32, rgb []uint8, size int, mean, std [3]float32) {
	n := size * size
	if len(rgb) != 3*n || len(dst) != 3*n {
		panic(fmt.Sprintf("imageproc: Normalize: %d bytes in, %d floats out, want %d for size %d", len(rgb), len(dst), 3*n, size))
	}
	// A byte has 256 values, so a table per channel holds every result.
	var lut [3][256]float32
	for c := range 3 {
		for v := range 256 {
			x := float32(v) / 255
			lut[c][v] = float32(x-mean[c]) / std[c]
		}
	}
	r, g, b := dst[:n], dst[n:2*n], dst[2*n:3*n]
	for i := range n {
		p := rgb[3*i : 3*i+3]
		r[i] = lut[0][p[0]]
		g[i] = lut[1][p[1]]
		b[i] = lut[2][p[2]]
	}
}

// Preprocess is CLIP's whole image transform: ResizeCropRGB followed by
// Normalize, giving float32 [3, size, size].
func Preprocess(img *Image, size int, mean, std [3]float32) []float32 {
	dst := make([]float32, 3*size*size)
	PreprocessInto(dst, img, size, mean, std)
	return dst
}

// PreprocessInto is Preprocess writing into dst, which must hold
// 3*size*size values (one image's slot of a batch [B, 3, size, size]).
func PreprocessInto(dst []float32, img *Image, size int, mean, std [3]float32) {
	checkDst(3*size*size, size)
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	s.rgb = grow(s.rgb, 3*size*size)
	resizeCropRGB(s.rgb, img, size, s)
	NormalizeInto(dst, s.rgb, size, mean, std)
}
