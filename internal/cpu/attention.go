package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
)

// AttentionForward is multi-head scaled dot-product attention.
// q[B,Tq,C], k[B,Tk,C], v[B,Tk,C] -> out[B,Tq,C]; head h uses channels
// [h·D, (h+1)·D) with D = C/H. probs[B,H,Tq,Tk] holds the softmax for the
// backward. Scale is 1/sqrt(D); causal hides key j > query i.
func (b *Backend) AttentionForward(out, probs, q, k, v compute.Tensor, heads int, causal bool) {
	const op = "AttentionForward"
	check(len(q.Shape) == 3 && len(k.Shape) == 3 && len(v.Shape) == 3, op, "want 3-D q,k,v, got %v %v %v", q, k, v)
	bs, tq, c := q.Shape[0], q.Shape[1], q.Shape[2]
	tk := k.Shape[1]
	check(sameShape(k, v) && k.Shape[0] == bs && k.Shape[2] == c, op, "q %v k %v v %v", q, k, v)
	check(sameShape(out, q), op, "out %v q %v", out, q)
	check(heads > 0 && c%heads == 0, op, "width %d not divisible by %d heads", c, heads)
	check(probs.Numel() == bs*heads*tq*tk, op, "probs %v, want [%d,%d,%d,%d]", probs, bs, heads, tq, tk)
	d := c / heads
	scale := float32(1 / math.Sqrt(float64(d)))
	qd, kd, vd, od, pd := data(q), data(k), data(v), data(out), data(probs)

	b.parallel(bs*heads, 1, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			bi, h := bh/heads, bh%heads
			for i := 0; i < tq; i++ {
				qi := qd[(bi*tq+i)*c+h*d : (bi*tq+i)*c+h*d+d]
				p := pd[(bh*tq+i)*tk : (bh*tq+i)*tk+tk]
				// With a causal mask, query i sees keys 0..i (Tq == Tk).
				n := tk
				if causal {
					n = i + 1
				}
				mx := float32(math.Inf(-1))
				for j := 0; j < n; j++ {
					kj := kd[(bi*tk+j)*c+h*d : (bi*tk+j)*c+h*d+d]
					s := dot(qi, kj) * scale
					p[j] = s
					mx = max(mx, s)
				}
				var sum float64
				for j := 0; j < n; j++ {
					e := math.Exp(float64(p[j] - mx))
					p[j] = float32(e)
					sum += e
				}
				inv := float32(1 / sum)
				for j := 0; j < n; j++ {
					p[j] *= inv
				}
				for j := n; j < tk; j++ {
					p[j] = 0
				}
				oi := od[(bi*tq+i)*c+h*d : (bi*tq+i)*c+h*d+d]
				clear(oi)
				for j := 0; j < n; j++ {
					w := p[j]
					vj := vd[(bi*tk+j)*c+h*d : (bi*tk+j)*c+h*d+d]
					for e := range oi {
						oi[e] += w * vj[e]
					}
				}
			}
		}
	})
}
