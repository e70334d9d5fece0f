package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// AttentionForward is multi-head scaled dot-product attention.
// q[B,Tq,C], k[B,Tk,C], v[B,Tk,C] -> out[B,Tq,C]; head h uses channels
// [h·D, (h+1)·D) with D = C/H. probs[B,H,Tq,Tk] holds the softmax for the
// backward. Scale is 1/sqrt(D); causal hides key j > query i.
//
// Per (batch, head) it is two small GEMMs on strided views, scores =
// scale·Q_h·K_hᵀ and out_h = P·V_h, with a row softmax between them; the
// (batch, head) pairs run in parallel, each GEMM on one goroutine.
func (b *Backend) AttentionForward(out, probs, q, k, v compute.Tensor, heads int, causal bool) {
	const op = "AttentionForward"
	check(len(q.Shape) == 3 && len(k.Shape) == 3 && len(v.Shape) == 3, op, "want 3-D q,k,v, got %v %v %v", q, k, v)
	bs, tq, c := q.Shape[0], q.Shape[1], q.Shape[2]
	tk := k.Shape[1]
	check(sameShape(k, v) && k.Shape[0] == bs && k.Shape[2] == c, op, "q %v k %v v %v", q, k, v)
	check(sameShape(out, q), op, "out %v q %v", out, q)
	check(heads > 0 && c%heads == 0, op, "width %d not divisible by %d heads", c, heads)
	check(probs.Numel() == bs*heads*tq*tk, op, "probs %v, want [%d,%d,%d,%d]", probs, bs, heads, tq, tk)
	check(!causal || tq == tk, op, "a causal mask needs as many queries as keys, got %d and %d", tq, tk)
	d := c / heads
	scale := float32(1 / math.Sqrt(float64(d)))
	qd, kd, vd, od, pd := data(q), data(k), data(v), data(out), data(probs)

	b.parallel(bs*heads, 1, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			bi, h := bh/heads, bh%heads
			qOff, kOff := bi*tq*c+h*d, bi*tk*c+h*d
			p := pd[bh*tq*tk : (bh+1)*tq*tk]
			sgemm.Gemm(sgemm.Params{
				M: tq, N: tk, K: d, TransB: true, Alpha: scale,
				A: qd[qOff:], LDA: c, B: kd[kOff:], LDB: c, C: p, LDC: tk, Threads: 1,
			})
			for i := 0; i < tq; i++ {
				n := tk
				if causal {
					n = i + 1 // query i sees keys 0..i
				}
				softmaxRow(p[i*tk : i*tk+n])
				clear(p[i*tk+n : i*tk+tk])
			}
			sgemm.Gemm(sgemm.Params{
				M: tq, N: d, K: tk, Alpha: 1,
				A: p, LDA: tk, B: vd[kOff:], LDB: c, C: od[qOff:], LDC: c, Threads: 1,
			})
		}
	})
}

// softmaxRow replaces x by softmax(x), subtracting the maximum first so the
// exponentials cannot overflow; the exponentials are sgemm.ExpSlice's
// (vector Exp32, the same bits as the scalar one) and their sum accumulates
// in float64.
func softmaxRow(x []float32) {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	for j, v := range x {
		x[j] = v - mx
	}
	sgemm.ExpSlice(x)
	var sum float64
	for _, e := range x {
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for j := range x {
		x[j] *= inv
	}
}
