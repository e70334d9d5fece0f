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
	bs, tq, tk, c, d := attentionDims(op, probs, q, k, v, heads, causal)
	check(sameShape(out, q), op, "out %v q %v", out, q)
	scale := float32(1 / math.Sqrt(float64(d)))
	qd, kd, vd, od, pd := data(q), data(k), data(v), data(out), data(probs)
	vec := useVec()

	b.parallel(bs*heads, 1, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			bi, h := bh/heads, bh%heads
			qOff, kOff := bi*tq*c+h*d, bi*tk*c+h*d
			p := pd[bh*tq*tk : (bh+1)*tq*tk]
			sgemm.Gemm(sgemm.Params{
				M: tq, N: tk, K: d, TransB: true, Alpha: scale,
				A: qd[qOff:], LDA: c, B: kd[kOff:], LDB: c, C: p, LDC: tk, Threads: 1,
			})
			softmaxRows(p, tq, tk, causal, vec)
			sgemm.Gemm(sgemm.Params{
				M: tq, N: d, K: tk, Alpha: 1,
				A: p, LDA: tk, B: vd[kOff:], LDB: c, C: od[qOff:], LDC: c, Threads: 1,
			})
		}
	})
}

// attentionDims checks the shapes AttentionForward and AttentionBackward
// share, q[B,Tq,C], k and v [B,Tk,C], probs [B,H,Tq,Tk] and a causal mask
// only where Tq = Tk, and returns B, Tq, Tk, C and the head width D = C/H.
func attentionDims(op string, probs, q, k, v compute.Tensor, heads int, causal bool) (bs, tq, tk, c, d int) {
	check(len(q.Shape) == 3 && len(k.Shape) == 3 && len(v.Shape) == 3, op, "want 3-D q,k,v, got %v %v %v", q, k, v)
	bs, tq, c = q.Shape[0], q.Shape[1], q.Shape[2]
	tk = k.Shape[1]
	check(sameShape(k, v) && k.Shape[0] == bs && k.Shape[2] == c, op, "q %v k %v v %v", q, k, v)
	check(heads > 0 && c%heads == 0, op, "width %d not divisible by %d heads", c, heads)
	check(probs.Numel() == bs*heads*tq*tk, op, "probs %v, want [%d,%d,%d,%d]", probs, bs, heads, tq, tk)
	check(!causal || tq == tk, op, "a causal mask needs as many queries as keys, got %d and %d", tq, tk)
	return bs, tq, tk, c, c / heads
}

// rowLen is the number of keys query i of a [tq,tk] block of scores sees:
// all tk, or with the causal mask keys 0..i.
func rowLen(i, tk int, causal bool) int {
	if causal {
		return i + 1
	}
	return tk
}

// softmaxRows replaces every row x of p[tq,tk] by softmax(x): all of it, or
// when causal row i's first i+1 entries (query i sees keys 0..i), clearing
// the rest. The maximum is subtracted first so the exponentials cannot
// overflow; the exponentials are sgemm.ExpSlice's (vector Exp32, the same
// bits as the scalar one) and their sum accumulates in float64, in order.
// The sums of four rows run side by side (a single running sum waits for
// every addition), and the other loops are vector code (vec.go) that gives
// the scalar loops' bits.
func softmaxRows(p []float32, tq, tk int, causal, vec bool) {
	for i := range tq {
		x := p[i*tk : i*tk+rowLen(i, tk, causal)]
		subtractMax(x, vec)
		if causal {
			sgemm.ExpSlice(x)
			clear(p[i*tk+len(x) : i*tk+tk])
		}
	}
	if !causal {
		sgemm.ExpSlice(p[:tq*tk]) // one call for the whole block
	}
	for i0 := 0; i0 < tq; i0 += 4 {
		r := min(4, tq-i0)
		var s [4]float64
		start := 0
		if r == 4 {
			start = rowLen(i0, tk, causal) // the shortest of the four
			a, b := p[i0*tk:][:start], p[(i0+1)*tk:][:start]
			c, d := p[(i0+2)*tk:][:start], p[(i0+3)*tk:][:start]
			var s0, s1, s2, s3 float64
			for j := range a {
				s0 += float64(a[j])
				s1 += float64(b[j])
				s2 += float64(c[j])
				s3 += float64(d[j])
			}
			s = [4]float64{s0, s1, s2, s3}
		}
		for k := range r {
			x := p[(i0+k)*tk:][:rowLen(i0+k, tk, causal)]
			for _, e := range x[start:] {
				s[k] += float64(e)
			}
			scaleRow(x, float32(1/s[k]), vec)
		}
	}
}

// subtractMax sets x[j] -= max(x). A NaN anywhere makes every value NaN,
// as Go's max does. Where the maximum is zero the vector code may find -0
// where Go's max gives +0; that only flips the sign of a zero difference,
// whose exponential is 1 either way, so the softmax has the same bits.
func subtractMax(x []float32, vec bool) {
	mx := float32(math.Inf(-1))
	n := 0
	if vec {
		var nan bool
		if mx, nan, n = maxVec(x); n == 0 {
			mx = float32(math.Inf(-1))
		} else if nan {
			mx = float32(math.NaN())
		}
	}
	for _, v := range x[n:] {
		mx = max(mx, v)
	}
	n = 0
	if vec {
		n = subVec(x, mx)
	}
	for j := n; j < len(x); j++ {
		x[j] -= mx
	}
}

// scaleRow sets x[j] *= c.
func scaleRow(x []float32, c float32, vec bool) {
	n := 0
	if vec {
		n = scaleVec(x, x, c)
	}
	for j := n; j < len(x); j++ {
		x[j] *= c
	}
}
