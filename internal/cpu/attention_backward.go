package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/sgemm"
)

// AttentionBackward is the backward of AttentionForward(out, probs, q, k,
// v, heads, causal), from the saved probs[B,H,Tq,Tk]: dq[B,Tq,C],
// dk[B,Tk,C] and dv[B,Tk,C] overwrite; nil ones are skipped. Per (batch,
// head), with P the probabilities, s = 1/sqrt(D) and dO_h the head's slice
// of dOut:
//
//	dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP - rowsum(P ⊙ dP)),
//	dQ = s·dS·K, dK = s·dSᵀ·Q.
//
// Masked entries have P = 0, hence dS = 0: the mask needs no special case.
func (b *Backend) AttentionBackward(dq, dk, dv, dOut, probs, q, k, v compute.Tensor, heads int, causal bool) {
	const op = "AttentionBackward"
	bs, tq, tk, c, d := attentionDims(op, probs, q, k, v, heads, causal)
	check(sameShape(dOut, q), op, "dOut %v q %v", dOut, q)
	check(dq.IsNil() || sameShape(dq, q), op, "dq %v q %v", dq, q)
	check(dk.IsNil() || sameShape(dk, k), op, "dk %v k %v", dk, k)
	check(dv.IsNil() || sameShape(dv, v), op, "dv %v v %v", dv, v)
	scale := float32(1 / math.Sqrt(float64(d)))
	qd, kd, vd, gd, pd := data(q), data(k), data(v), data(dOut), data(probs)
	dqd, dkd, dvd := data(dq), data(dk), data(dv)
	needS := dqd != nil || dkd != nil

	vec := useVec()
	// One dS scratch block per goroutine, from a backend slot.
	var scratch []float32
	if needS {
		scratch = b.scratchBuf(scratchAttn, b.threads*tq*tk)
	}
	b.parallelIdx(bs*heads, 1, func(w, lo, hi int) {
		var ds []float32
		if needS {
			ds = scratch[w*tq*tk : (w+1)*tq*tk]
		}
		for bh := lo; bh < hi; bh++ {
			bi, h := bh/heads, bh%heads
			qOff, kOff := bi*tq*c+h*d, bi*tk*c+h*d
			p := pd[bh*tq*tk : (bh+1)*tq*tk]
			if dvd != nil {
				// dV[Tk,D] = Pᵀ[Tk,Tq]·dO[Tq,D]
				sgemm.Gemm(sgemm.Params{
					M: tk, N: d, K: tq, TransA: true, Alpha: 1,
					A: p, LDA: tk, B: gd[qOff:], LDB: c, C: dvd[kOff:], LDC: c, Threads: 1,
				})
			}
			if !needS {
				continue
			}
			// dP[Tq,Tk] = dO[Tq,D]·Vᵀ
			sgemm.Gemm(sgemm.Params{
				M: tq, N: tk, K: d, TransB: true, Alpha: 1,
				A: gd[qOff:], LDA: c, B: vd[kOff:], LDB: c, C: ds, LDC: tk, Threads: 1,
			})
			softmaxBackwardRows(ds, p, tq, tk, causal, vec)
			if dqd != nil {
				// dQ[Tq,D] = s·dS[Tq,Tk]·K[Tk,D]
				sgemm.Gemm(sgemm.Params{
					M: tq, N: d, K: tk, Alpha: scale,
					A: ds, LDA: tk, B: kd[kOff:], LDB: c, C: dqd[qOff:], LDC: c, Threads: 1,
				})
			}
			if dkd != nil {
				// dK[Tk,D] = s·dSᵀ[Tk,Tq]·Q[Tq,D]
				sgemm.Gemm(sgemm.Params{
					M: tk, N: d, K: tq, TransA: true, Alpha: scale,
					A: ds, LDA: tk, B: qd[qOff:], LDB: c, C: dkd[kOff:], LDC: c, Threads: 1,
				})
			}
		}
	})
}

// softmaxBackwardRows turns dP[tq,tk] (in s) into dS = P ⊙ (dP - rowsum(P ⊙
// dP)) row by row, over row i's first i+1 entries when causal (the rest
// cleared). Each row's float64 dot product runs in order, four rows side by
// side; the update is vector code giving the scalar loop's bits.
func softmaxBackwardRows(s, p []float32, tq, tk int, causal, vec bool) {
	for i0 := 0; i0 < tq; i0 += 4 {
		r := min(4, tq-i0)
		var dot [4]float64
		start := 0
		if r == 4 {
			// Products of two float32 values are exact in float64, so a
			// fused multiply-add would round the same.
			start = rowLen(i0, tk, causal)
			p0, p1, p2, p3 := p[i0*tk:][:start], p[(i0+1)*tk:][:start], p[(i0+2)*tk:][:start], p[(i0+3)*tk:][:start]
			s0, s1, s2, s3 := s[i0*tk:][:start], s[(i0+1)*tk:][:start], s[(i0+2)*tk:][:start], s[(i0+3)*tk:][:start]
			var d0, d1, d2, d3 float64
			for j := range p0 {
				d0 += float64(p0[j]) * float64(s0[j])
				d1 += float64(p1[j]) * float64(s1[j])
				d2 += float64(p2[j]) * float64(s2[j])
				d3 += float64(p3[j]) * float64(s3[j])
			}
			dot = [4]float64{d0, d1, d2, d3}
		}
		for k := range r {
			i := i0 + k
			n := rowLen(i, tk, causal)
			pr, sr := p[i*tk:i*tk+n], s[i*tk:i*tk+n]
			for j := start; j < n; j++ {
				dot[k] += float64(pr[j]) * float64(sr[j])
			}
			j := 0
			if vec {
				j = attnGradVec(sr, pr, dot[k])
			}
			for ; j < n; j++ {
				sr[j] = float32(float64(pr[j]) * (float64(sr[j]) - dot[k]))
			}
			clear(s[i*tk+n : i*tk+tk])
		}
	}
}
