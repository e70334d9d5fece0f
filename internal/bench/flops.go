// Package bench holds what `clip bench` measures with: the matmul FLOP
// count of a forward pass, deterministic random weights and inputs, a
// timing loop and the process's peak memory. It is backend-agnostic: the
// caller builds the model on the backend it wants timed.
//
// The FLOP formulas are those of scripts/bench_torch_cpu.py (matmul_gflop),
// so that GFLOP/s of clip and of PyTorch are the same measure; change both
// together.
package bench

import "github.com/clip-go/clip/internal/model"

// GEMMFLOP is the FLOP count of out[M,N] = a[M,K]·W[N,K]ᵀ: 2·M·N·K.
func GEMMFLOP(m, k, n int) float64 { return 2 * float64(m) * float64(n) * float64(k) }

// towerFLOP counts the matmuls of `layers` pre-LN transformer blocks of
// width w over t positions: the q, k, v projections (6·t·w²), the output
// projection (2·t·w²), the MLP (16·t·w²) and the attention products QKᵀ
// and AV (2·2·t²·w). Causal attention is counted in full, as PyTorch
// computes it: the mask only overwrites scores.
func towerFLOP(w, layers, t int) float64 {
	W, T := float64(w), float64(t)
	return float64(layers) * (24*T*W*W + 4*T*T*W)
}

// TextFLOP is the matmul FLOPs of encoding batch texts over `positions`
// token positions each: the transformer plus text_projection on the pooled
// row. PyTorch always runs the full context length; clip runs only up to
// the last end-of-text position of the batch, so each side passes the
// positions it computes.
func TextFLOP(cfg model.Config, batch, positions int) float64 {
	t := cfg.Text
	per := towerFLOP(t.Width, t.Layers, positions) + 2*float64(t.Width)*float64(cfg.EmbedDim)
	return float64(batch) * per
}

// ImageFLOP is the matmul FLOPs of encoding batch images: for a ViT the
// patch embedding (a conv as a matmul), the transformer over 1+P tokens and
// proj on the class token; for a ModifiedResNet every convolution and the
// attention pool (see resnetFLOP).
func ImageFLOP(cfg model.Config, batch int) float64 {
	v := cfg.Vision
	if v.IsResNet() {
		return float64(batch) * resnetFLOP(cfg)
	}
	p := v.Grid() * v.Grid()
	w := float64(v.Width)
	patch := 2 * float64(p) * 3 * float64(v.PatchSize*v.PatchSize) * w
	per := patch + towerFLOP(v.Width, v.Layers, p+1) + 2*w*float64(cfg.EmbedDim)
	return float64(batch) * per
}

// conv is the FLOPs of a bias-free convolution with ci input and co output
// channels, a k×k kernel and an s×s output.
func conv(ci, co, k, s int) float64 {
	return 2 * float64(s) * float64(s) * float64(co) * float64(ci) * float64(k*k)
}

// resnetFLOP is one image through OpenAI's ModifiedResNet: the three stem
// convolutions at half resolution, every Bottleneck (1×1, 3×3 before the
// stride's average pool, 1×1 after it, and the downsample 1×1 after its
// pool), and the attention pool, whose single query is the mean token:
// q (2·d²), k and v over S = 1+(R/32)² tokens (2·2·S·d²), scores and AV
// (2·2·S·d) and c_proj (2·d·E). BatchNorm, ReLU and pooling are not
// matmuls and are not counted.
func resnetFLOP(cfg model.Config) float64 {
	v := cfg.Vision
	w, s := v.Width, v.ImageSize/2
	f := conv(3, w/2, 3, s) + conv(w/2, w/2, 3, s) + conv(w/2, w, 3, s)
	s /= 2 // the stem's 2×2 average pool
	for _, b := range model.ResNetBlocks("", v) {
		f += conv(b.Inplanes, b.Planes, 1, s) + conv(b.Planes, b.Planes, 3, s)
		s /= b.Stride
		f += conv(b.Planes, 4*b.Planes, 1, s)
		if b.Downsample {
			f += conv(b.Inplanes, 4*b.Planes, 1, s)
		}
	}
	d := float64(32 * w)
	tokens := float64(s*s + 1)
	return f + 2*d*d + 4*tokens*d*d + 4*tokens*d + 2*d*float64(cfg.EmbedDim)
}

// TrainFLOP is the matmul FLOPs of one training step on batch image-text
// pairs: 3 × the forward of both towers (the backward of a matrix product
// is two products of the forward's size), the text tower over `positions`
// positions per text. The loss's batch×batch similarity products are not
// counted. bench_torch_cpu.py's train mode uses the same convention.
func TrainFLOP(cfg model.Config, batch, positions int) float64 {
	return 3 * (ImageFLOP(cfg, batch) + TextFLOP(cfg, batch, positions))
}
