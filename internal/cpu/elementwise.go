package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
)

// AddForward computes out = a + b elementwise; out may alias a or b.
func (b *Backend) AddForward(out, a, y compute.Tensor) {
	check(out.Numel() == a.Numel() && a.Numel() == y.Numel(), "AddForward", "out %v a %v b %v", out, a, y)
	o, ad, yd := data(out), data(a), data(y)
	vec := useVec()
	b.parallel(len(o), 16384, func(lo, hi int) {
		i := lo
		if vec {
			i += addVec(o[lo:hi], ad[lo:hi], yd[lo:hi])
		}
		for ; i < hi; i++ {
			o[i] = ad[i] + yd[i]
		}
	})
}

// AddBroadcastForward computes out[B,T,C] = x[B,T,C] + y[T,C].
func (b *Backend) AddBroadcastForward(out, x, y compute.Tensor) {
	n := y.Numel()
	check(out.Numel() == x.Numel() && x.Numel()%n == 0, "AddBroadcastForward", "out %v x %v y %v", out, x, y)
	o, xd, yd := data(out), data(x), data(y)
	for base := 0; base < len(o); base += n {
		for j := 0; j < n; j++ {
			o[base+j] = xd[base+j] + yd[j]
		}
	}
}

// ScaleForward computes out = alpha·x; out may alias x.
func (b *Backend) ScaleForward(out, x compute.Tensor, alpha float32) {
	check(out.Numel() == x.Numel(), "ScaleForward", "out %v x %v", out, x)
	o, xd := data(out), data(x)
	for i, v := range xd {
		o[i] = alpha * v
	}
}

// L2NormalizeForward computes out[N,C] = x/max(||x||, 1e-12) per row, as
// F.normalize. The norm accumulates in float64.
func (b *Backend) L2NormalizeForward(out, x compute.Tensor) {
	c := x.Dim(-1)
	check(out.Numel() == x.Numel(), "L2NormalizeForward", "out %v x %v", out, x)
	o, xd := data(out), data(x)
	for i := 0; i < len(xd); i += c {
		var ss float64
		for _, v := range xd[i : i+c] {
			ss += float64(v) * float64(v)
		}
		inv := 1 / math.Max(math.Sqrt(ss), 1e-12)
		for j, v := range xd[i : i+c] {
			o[i+j] = float32(float64(v) * inv)
		}
	}
}
