//go:build cuda

package cuda

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
)

// HeadDim is the only head dimension the attention kernels support (every
// CLIP model has 64).
const HeadDim = 64

// checkAttention validates the shapes shared by the forward and backward and
// returns batch, query and key lengths, width and the log-sum-exp size.
func checkAttention(op string, q, k, v, lse compute.Tensor, heads int, causal bool) (bs, tq, tk, c int) {
	check(len(q.Shape) == 3 && len(k.Shape) == 3 && len(v.Shape) == 3, op, "want 3-D q,k,v, got %v %v %v", q, k, v)
	bs, tq, c = q.Shape[0], q.Shape[1], q.Shape[2]
	tk = k.Shape[1]
	check(sameShape(k.Shape, v.Shape) && k.Shape[0] == bs && k.Shape[2] == c, op, "q %v k %v v %v", q, k, v)
	check(heads > 0 && c == heads*HeadDim, op, "width %d with %d heads: the kernels need head dimension %d", c, heads, HeadDim)
	check(lse.Numel() == bs*heads*tq, op, "lse %v, want [%d,%d,%d]", lse, bs, heads, tq)
	check(!causal || tq == tk, op, "a causal mask needs as many queries as keys, got %d and %d", tq, tk)
	check(bs <= 65535 && heads <= 65535, op, "batch %d or heads %d above the grid limit", bs, heads)
	return bs, tq, tk, c
}

// checkVec panics unless every tensor starts 16-byte aligned, as the
// kernels' float4 loads need (arena tensors always do; a view's offset must
// be a multiple of 4 elements).
func checkVec(op string, ts ...compute.Tensor) {
	for _, t := range ts {
		if !t.IsNil() {
			check(devPtr(t)%16 == 0, op, "tensor %v at element offset %d is not 16-byte aligned", t, t.Off)
		}
	}
}

// attnScales are 1/sqrt(HeadDim) and the same times log2(e).
func attnScales() (float32, float32) {
	s := 1 / math.Sqrt(HeadDim)
	return float32(s), float32(s * math.Log2E)
}

// AttentionForward is fused multi-head scaled dot-product attention (flash
// style: online softmax over key tiles, bf16 tensor cores, fp32
// accumulation). q[B,Tq,C], k[B,Tk,C], v[B,Tk,C] -> out[B,Tq,C], head h on
// channels [h·64, h·64+64), C = heads·64. Unlike cpu.AttentionForward it
// saves lse[B,H,Tq], each query row's log Σ exp(score) (natural log), not
// the B·H·Tq·Tk probabilities; AttentionBackward recomputes them from it.
// Scale 1/sqrt(64); causal hides key j > query i.
func (d *Device) AttentionForward(out, lse, q, k, v compute.Tensor, heads int, causal bool) {
	const op = "AttentionForward"
	bs, tq, tk, c := checkAttention(op, q, k, v, lse, heads, causal)
	check(sameShape(out.Shape, q.Shape), op, "out %v q %v", out, q)
	checkVec(op, out, q, k, v)
	if bs == 0 || tq == 0 {
		return
	}
	check(tk > 0, op, "no keys: k %v", k)
	_, sl2 := attnScales()
	d.launch("attn_fwd", dim3{ceilDiv(tq, 64), heads, bs}, dim3{128, 1, 1},
		ptrArg(devPtr(out)), ptrArg(devPtr(lse)), ptrArg(devPtr(q)), ptrArg(devPtr(k)), ptrArg(devPtr(v)),
		intArg(tq), intArg(tk), intArg(c), intArg(heads), boolArg(causal), f32Arg(sl2))
}

// AttentionBackward is the backward of AttentionForward(out, lse, q, k, v,
// heads, causal), from its output and log-sum-exp: dq[B,Tq,C], dk[B,Tk,C]
// and dv[B,Tk,C] overwrite (nil ones are computed into the workspace and
// dropped). With P the recomputed probabilities, s = 1/8 and D = rowsum(dO∘O):
// dV = Pᵀ·dO, dS = P∘(dO·Vᵀ - D), dQ = s·dS·K, dK = s·dSᵀ·Q.
func (d *Device) AttentionBackward(dq, dk, dv, dOut, out, lse, q, k, v compute.Tensor, heads int, causal bool) {
	const op = "AttentionBackward"
	bs, tq, tk, c := checkAttention(op, q, k, v, lse, heads, causal)
	check(sameShape(dOut.Shape, q.Shape) && sameShape(out.Shape, q.Shape), op, "dOut %v out %v q %v", dOut, out, q)
	check(dq.IsNil() || sameShape(dq.Shape, q.Shape), op, "dq %v q %v", dq, q)
	check(dk.IsNil() || sameShape(dk.Shape, k.Shape), op, "dk %v k %v", dk, k)
	check(dv.IsNil() || sameShape(dv.Shape, v.Shape), op, "dv %v v %v", dv, v)
	checkVec(op, dq, dk, dv, dOut, out, q, k, v)
	if bs == 0 || dq.IsNil() && dk.IsNil() && dv.IsNil() {
		return
	}
	if tq == 0 || tk == 0 {
		d.Zero(dq)
		d.Zero(dk)
		d.Zero(dv)
		return
	}
	qBytes, kBytes := int64(4*q.Numel()), int64(4*k.Numel())
	sizes := []int64{int64(4 * lse.Numel())}
	if dq.IsNil() {
		sizes = append(sizes, qBytes)
	}
	if dk.IsNil() {
		sizes = append(sizes, kBytes)
	}
	if dv.IsNil() {
		sizes = append(sizes, kBytes)
	}
	ws := d.workspace(carveSize(sizes...))
	if ws == 0 {
		return
	}
	cv := carver{base: ws}
	dsum := cv.take(int64(4 * lse.Numel()))
	pdq, pdk, pdv := devPtr(dq), devPtr(dk), devPtr(dv)
	if dq.IsNil() {
		pdq = cv.take(qBytes)
	}
	if dk.IsNil() {
		pdk = cv.take(kBytes)
	}
	if dv.IsNil() {
		pdv = cv.take(kBytes)
	}
	rows := bs * tq * heads
	d.launch("attn_bwd_dot", dim3{ceilDiv(rows, 8), 1, 1}, dim3{256, 1, 1},
		ptrArg(dsum), ptrArg(devPtr(dOut)), ptrArg(devPtr(out)), intArg(bs), intArg(tq), intArg(c), intArg(heads))
	s, sl2 := attnScales()
	d.launch("attn_bwd", dim3{heads, bs, 1}, dim3{128, 1, 1},
		ptrArg(pdq), ptrArg(pdk), ptrArg(pdv), ptrArg(devPtr(dOut)), ptrArg(devPtr(q)), ptrArg(devPtr(k)), ptrArg(devPtr(v)),
		ptrArg(devPtr(lse)), ptrArg(dsum), intArg(tq), intArg(tk), intArg(c), intArg(heads), boolArg(causal),
		f32Arg(s), f32Arg(sl2))
}
