package sgemm

import (
	"fmt"
	"runtime"
)

// Params describes one product
//
//	C[M,N] = act(alpha·op(A)·op(B) + beta·C + Bias)
//
// where op(A) is [M,K] and op(B) is [K,N]. All matrices are row-major with a
// leading dimension (the distance between the starts of two rows; 0 means
// the row width):
//
//   - A is stored [M,K] with LDA >= K, or [K,M] with LDA >= M when TransA;
//   - B is stored [K,N] with LDB >= N, or [N,K] with LDB >= K when TransB
//     (the layout of a PyTorch Linear weight: x·Wᵀ is TransB);
//   - C is stored [M,N] with LDC >= N.
//
// Alpha and Beta have their BLAS meaning, including that the zero value of
// Alpha gives a zero product: set Alpha to 1 for a plain product. With Beta 0
// C is only written, never read, so it may hold garbage (NaN); Beta 1
// accumulates (C += op(A)·op(B)). Bias, when not nil, holds N values added
// to every row. Act is applied last, to each tile of C while it is in cache.
//
// Threads is the number of goroutines (<= 0: GOMAXPROCS); products too small
// to gain from it run on the calling goroutine alone. A, B and C may not
// overlap.
type Params struct {
	M, N, K        int
	TransA, TransB bool
	Alpha, Beta    float32
	A              []float32
	LDA            int
	B              []float32
	LDB            int
	C              []float32
	LDC            int
	Bias           []float32
	Act            Activation
	Threads        int
}

// Gemm computes the product p describes (see Params). It panics if the
// shapes, leading dimensions and slice lengths disagree.
func Gemm(p Params) {
	if p.M < 0 || p.N < 0 || p.K < 0 {
		panic(fmt.Sprintf("sgemm: negative shape M=%d N=%d K=%d", p.M, p.N, p.K))
	}
	if p.M == 0 || p.N == 0 {
		return // C is empty; nothing is read
	}
	p.normalize()
	if p.K == 0 || p.Alpha == 0 {
		scaleOnly(&p)
		return
	}
	if p.Beta != 0 && p.Beta != 1 {
		// The kernels only overwrite or add: fold beta into C first, with
		// the same multiply for every element.
		scaleC(&p, p.Beta)
	}
	run(&p, current.Load())
}

// normalize fills default leading dimensions and thread count and checks
// every shape; it panics on a programmer error.
func (p *Params) normalize() {
	ar, ac := p.M, p.K // stored shape of A
	if p.TransA {
		ar, ac = p.K, p.M
	}
	br, bc := p.K, p.N
	if p.TransB {
		br, bc = p.N, p.K
	}
	p.LDA = checkMatrix("A", p.A, ar, ac, p.LDA)
	p.LDB = checkMatrix("B", p.B, br, bc, p.LDB)
	p.LDC = checkMatrix("C", p.C, p.M, p.N, p.LDC)
	if p.Bias != nil && len(p.Bias) < p.N {
		panic(fmt.Sprintf("sgemm: bias has %d values, want N=%d", len(p.Bias), p.N))
	}
	if p.Act < ActNone || p.Act > ActReLU {
		panic(fmt.Sprintf("sgemm: unknown activation %d", int(p.Act)))
	}
	if p.Threads <= 0 {
		p.Threads = runtime.GOMAXPROCS(0)
	}
}

// checkMatrix checks that x holds a rows×cols matrix with leading dimension
// ld (0: cols) and returns the leading dimension.
func checkMatrix(name string, x []float32, rows, cols, ld int) int {
	if ld == 0 {
		ld = max(cols, 1)
	}
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("sgemm: LD%s=%d is less than the %d columns of %s", name, ld, cols, name))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("sgemm: %s has %d values, want at least %d for [%d,%d] with LD%s=%d",
			name, len(x), (rows-1)*ld+cols, rows, cols, name, ld))
	}
	return ld
}

// scaleOnly handles a product that contributes nothing (K = 0 or Alpha = 0):
// C = act(beta·C + bias), reading C only when beta is not 0.
func scaleOnly(p *Params) {
	for i := range p.M {
		row := p.C[i*p.LDC : i*p.LDC+p.N]
		if p.Beta == 0 {
			clear(row)
		} else if p.Beta != 1 {
			for j := range row {
				row[j] *= p.Beta
			}
		}
		if p.Bias != nil {
			for j, b := range p.Bias[:p.N] {
				row[j] += b
			}
		}
		ApplyAct(p.Act, row)
	}
}

// scaleC multiplies every element of C by s.
func scaleC(p *Params, s float32) {
	for i := range p.M {
		row := p.C[i*p.LDC : i*p.LDC+p.N]
		for j := range row {
			row[j] *= s
		}
	}
}
