//go:build cuda

package cuda

import (
	"fmt"
	"testing"

	"github.com/clip-go/clip/internal/compute"
)

// Tolerances of the fused loss against the fp32 CPU backend: the logits
// come from bf16 features (about scale·2^-9/sqrt(E) absolute error each)
// and the logits' gradient is rounded to bf16.
const (
	tolLoss   = 5e-3
	tolCGrads = 3e-2
)

type contrastiveCase struct {
	rows, n, e, off int
	scale           float32
	chunk           int // contrastiveChunkElems for the case; 0 keeps the default
}

func (c contrastiveCase) String() string {
	s := fmt.Sprintf("R=%d N=%d E=%d off=%d scale=%g", c.rows, c.n, c.e, c.off, c.scale)
	if c.chunk > 0 {
		s += fmt.Sprintf(" chunk=%d", c.chunk)
	}
	return s
}

// Single-device batches (R = N) and shards at a row offset, sizes around
// the 128 tile, an odd feature width, and small chunks so that the backward
// runs several row chunks.
var contrastiveCases = []contrastiveCase{
	{2, 3, 8, 1, 1, 0},
	{8, 8, 64, 0, 14.285714, 0},
	{100, 300, 33, 100, 14.285714, 0},
	{129, 129, 512, 0, 100, 0},
	{64, 640, 512, 576, 50, 0},
	{300, 300, 128, 0, 20, 128 * 384},
	{257, 1000, 256, 700, 30, 128 * 1024},
}

func TestContrastiveLoss(t *testing.T) {
	for _, c := range contrastiveCases {
		t.Run(c.String(), func(t *testing.T) {
			if c.chunk > 0 {
				old := contrastiveChunkElems
				contrastiveChunkElems = c.chunk
				defer func() { contrastiveChunkElems = old }()
			}
			r := rng(t)
			ts := newTensors()
			defer ts.free(t)
			allImgD, allTxtD := unitRows(r, c.n, c.e), unitRows(r, c.n, c.e)
			allImg, allTxt := ts.with(allImgD, c.n, c.e), ts.with(allTxtD, c.n, c.e)
			img := ts.with(allImgD[c.off*c.e:(c.off+c.rows)*c.e], c.rows, c.e)
			txt := ts.with(allTxtD[c.off*c.e:(c.off+c.rows)*c.e], c.rows, c.e)
			loss, dScale := ts.poisoned(1), ts.poisoned(1)
			dImg, dTxt := ts.poisoned(c.rows, c.e), ts.poisoned(c.rows, c.e)
			dAllImg, dAllTxt := ts.poisoned(c.n, c.e), ts.poisoned(c.n, c.e)
			dev.ContrastiveLoss(loss.g, dImg.g, dTxt.g, dAllImg.g, dAllTxt.g, dScale.g, img.g, txt.g, allImg.g, allTxt.g, c.scale, c.off, 0)
			mustSync(t)
			host.ContrastiveLoss(loss.c, dImg.c, dTxt.c, dAllImg.c, dAllTxt.c, dScale.c, img.c, txt.c, allImg.c, allTxt.c, c.scale, c.off, 0)
			name := c.String()
			// The scalars relative to at least 0.1: dScale, a sum of terms of
			// both signs, may be near zero by chance.
			expectFloor(t, "contrastive", name, "loss", down(loss.g), downCPU(loss.c), tolLoss, 0.1)
			expectFloor(t, "contrastive", name, "dScale", down(dScale.g), downCPU(dScale.c), tolCGrads, 0.1)
			expect(t, "contrastive", name, "dImg", down(dImg.g), downCPU(dImg.c), tolCGrads)
			expect(t, "contrastive", name, "dTxt", down(dTxt.g), downCPU(dTxt.c), tolCGrads)
			expect(t, "contrastive", name, "dAllImg", down(dAllImg.g), downCPU(dAllImg.c), tolCGrads)
			expect(t, "contrastive", name, "dAllTxt", down(dAllTxt.g), downCPU(dAllTxt.c), tolCGrads)

			// The loss alone (no gradients requested) is the same loss.
			loss2 := ts.poisoned(1)
			var none compute.Tensor
			dev.ContrastiveLoss(loss2.g, none, none, none, none, none, img.g, txt.g, allImg.g, allTxt.g, c.scale, c.off, 0)
			mustSync(t)
			expectFloor(t, "contrastive", name, "loss only", down(loss2.g), downCPU(loss.c), tolLoss, 0.1)
		})
	}
}
