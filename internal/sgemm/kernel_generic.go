package sgemm

// genericKernel is the pure-Go micro-kernel, for any GOARCH and for CPUs
// without AVX2.
var genericKernel = kernel{name: "generic", mr: 4, nr: 4, mc: 128, nc: 1024, lanes: 2, micro: microGeneric}

// microGeneric is the 4×4 micro-kernel in Go: two passes over k, each for
// two columns, so that the 8 accumulators, 4 values of A and 2 of B fit in
// the 15 float registers Go has on amd64 (16 accumulators spilled to the
// stack at half the speed). Each accumulator walks k in order, like the
// assembly kernels.
func microGeneric(k int, a, b, c []float32, ldc int, alpha float32, flags int, bias []float32) {
	var t [16]float32 // the tile's sums, row-major
	generic4x2(k, a, b, 0, &t)
	generic4x2(k, a, b, 2, &t)
	for r := range 4 {
		row := c[r*ldc : r*ldc+4]
		if flags&flagAccumulate != 0 {
			for j := range row {
				row[j] = alpha*t[r*4+j] + row[j]
			}
		} else {
			for j := range row {
				row[j] = alpha * t[r*4+j]
			}
		}
		if flags&flagBias != 0 {
			for j, v := range bias[:4] {
				row[j] += v
			}
		}
	}
}

// generic4x2 sums columns j, j+1 of the 4×4 tile over k steps into t.
func generic4x2(k int, a, b []float32, j int, t *[16]float32) {
	a = a[:4*k]
	b = b[:4*k]
	var c00, c01, c10, c11, c20, c21, c30, c31 float32
	for p := 0; p+4 <= len(a); p += 4 {
		ap := a[p : p+4 : p+4]
		bp := b[p+j : p+j+2 : p+j+2]
		b0, b1 := bp[0], bp[1]
		x0, x1, x2, x3 := ap[0], ap[1], ap[2], ap[3]
		c00 += x0 * b0
		c01 += x0 * b1
		c10 += x1 * b0
		c11 += x1 * b1
		c20 += x2 * b0
		c21 += x2 * b1
		c30 += x3 * b0
		c31 += x3 * b1
	}
	t[0+j], t[1+j] = c00, c01
	t[4+j], t[5+j] = c10, c11
	t[8+j], t[9+j] = c20, c21
	t[12+j], t[13+j] = c30, c31
}
