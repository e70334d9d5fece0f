package cpu

import (
	"math"

	"github.com/clip-go/clip/internal/compute"
)

// Conv2DForward computes out[N,Co,Ho,Wo] = conv(x[N,Ci,H,W], w[Co,Ci,kh,kw])
// with the given stride and zero padding, no bias. Each image is unfolded
// (im2col) into cols[Ho·Wo, Ci·kh·kw]; out[img] = w[Co,K] · colsᵀ lands
// channel-major directly.
func (b *Backend) Conv2DForward(out, x, w compute.Tensor, stride, pad int) {
	const op = "Conv2DForward"
	check(len(x.Shape) == 4 && len(w.Shape) == 4 && len(out.Shape) == 4, op, "out %v x %v w %v", out, x, w)
	n, ci, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	co, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	check(w.Shape[1] == ci, op, "w %v for %d input channels", w, ci)
	ho := (h+2*pad-kh)/stride + 1
	wo := (wd+2*pad-kw)/stride + 1
	check(out.Shape[0] == n && out.Shape[1] == co && out.Shape[2] == ho && out.Shape[3] == wo, op,
		"out %v, want [%d,%d,%d,%d]", out, n, co, ho, wo)
	k := ci * kh * kw
	xd, od, wdat := data(x), data(out), data(w)
	cols := b.scratchBuf(scratchCols, ho*wo*k)
	for img := 0; img < n; img++ {
		src := xd[img*ci*h*wd : (img+1)*ci*h*wd]
		b.parallel(ho*wo, 64, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				oy, ox := p/wo, p%wo
				dst := cols[p*k : p*k+k]
				idx := 0
				for c := 0; c < ci; c++ {
					for dy := 0; dy < kh; dy++ {
						iy := oy*stride - pad + dy
						for dx := 0; dx < kw; dx++ {
							ix := ox*stride - pad + dx
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								dst[idx] = 0
							} else {
								dst[idx] = src[(c*h+iy)*wd+ix]
							}
							idx++
						}
					}
				}
			}
		})
		b.gemmNT(od[img*co*ho*wo:(img+1)*co*ho*wo], wdat, cols, co, ho*wo, k)
	}
}

// BatchNormForward is inference-mode BatchNorm2d over x[N,Ch,H,W]:
// out = (x - mean)/sqrt(var + eps)·w + b per channel, then act (ReLU or
// none). out may alias x.
func (b *Backend) BatchNormForward(out, x, w, bias, mean, variance compute.Tensor, eps float32, act compute.Activation) {
	const op = "BatchNormForward"
	check(len(x.Shape) == 4 && out.Numel() == x.Numel(), op, "out %v x %v", out, x)
	n, ch := x.Shape[0], x.Shape[1]
	hw := x.Shape[2] * x.Shape[3]
	check(w.Numel() == ch && bias.Numel() == ch && mean.Numel() == ch && variance.Numel() == ch, op,
		"parameters %v %v %v %v for %d channels", w, bias, mean, variance, ch)
	o, xd := data(out), data(x)
	wd, bd, md, vd := data(w), data(bias), data(mean), data(variance)
	b.parallel(n*ch, 1, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			c := nc % ch
			inv := float32(1 / math.Sqrt(float64(vd[c])+float64(eps)))
			plane := xd[nc*hw : nc*hw+hw]
			dst := o[nc*hw : nc*hw+hw]
			for i, v := range plane {
				dst[i] = (v-md[c])*inv*wd[c] + bd[c]
			}
			if act != compute.ActNone {
				applyAct(dst, dst, act)
			}
		}
	})
}

// AvgPool2DForward computes out[N,Ch,H/k,W/k] as the mean of each k x k
// window with stride k (nn.AvgPool2d(k)).
func (b *Backend) AvgPool2DForward(out, x compute.Tensor, k int) {
	const op = "AvgPool2DForward"
	n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	ho, wo := h/k, w/k
	check(out.Numel() == n*ch*ho*wo, op, "out %v x %v k %d", out, x, k)
	o, xd := data(out), data(x)
	inv := 1 / float32(k*k)
	b.parallel(n*ch, 1, func(lo, hi int) {
		for nc := lo; nc < hi; nc++ {
			src := xd[nc*h*w:]
			dst := o[nc*ho*wo:]
			for oy := 0; oy < ho; oy++ {
				for ox := 0; ox < wo; ox++ {
					var s float32
					for dy := 0; dy < k; dy++ {
						for dx := 0; dx < k; dx++ {
							s += src[(oy*k+dy)*w+ox*k+dx]
						}
					}
					dst[oy*wo+ox] = s * inv
				}
			}
		}
	})
}

// SpatialTokensForward turns x[N,Ch,H,W] into the attention-pool sequence
// out[N,1+HW,Ch]: token 0 is the spatial mean, tokens 1.. the positions in
// row-major order.
func (b *Backend) SpatialTokensForward(out, x compute.Tensor) {
	const op = "SpatialTokensForward"
	n, ch := x.Shape[0], x.Shape[1]
	hw := x.Shape[2] * x.Shape[3]
	check(out.Numel() == n*(hw+1)*ch, op, "out %v x %v", out, x)
	o, xd := data(out), data(x)
	for img := 0; img < n; img++ {
		base := img * (hw + 1) * ch
		for c := 0; c < ch; c++ {
			plane := xd[(img*ch+c)*hw : (img*ch+c+1)*hw]
			var s float32
			for p, v := range plane {
				o[base+(p+1)*ch+c] = v
				s += v
			}
			o[base+c] = s / float32(hw)
		}
	}
}
