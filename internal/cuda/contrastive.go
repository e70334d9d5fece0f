//go:build cuda

package cuda

import (
	"math"

	"gorgonia.org/cu"

	"github.com/clip-go/clip/internal/compute"
)

// contrastiveChunkElems (a variable so that tests can force several
// chunks) bounds the bf16 logits-gradient chunk the backward
// materialises (Rc x N, 64 MiB): memory stays O(N·E + chunk), never O(N²).
var contrastiveChunkElems = 32 << 20

// ContrastiveLoss is the symmetric CLIP loss over this device's rows of a
// global batch of N, fused with its backward, with the semantics of
// compute.TrainOps.ContrastiveLoss (OpenCLIP's local loss; rowOffset places
// the local rows in the gathered features): loss[1], dImg, dTxt, dAllImg,
// dAllTxt and dScale[1] overwrite; nil outputs are skipped.
//
// Per direction it streams 128-column tiles of the logits with an online
// log-sum-exp (tensor cores on bf16 copies of the features, fp32
// accumulation), then recomputes the logits in row chunks of at most
// contrastiveChunkElems/N rows, turns each chunk into the bf16 gradient G
// of the logits, and multiplies it into the feature gradients. The last
// argument (compute's column tile) is accepted for the interface and
// ignored: the column tile is the GEMM's. It is unnamed on purpose: named
// tile it would shadow the package constant every size below is divided by.
func (d *Device) ContrastiveLoss(loss, dImg, dTxt, dAllImg, dAllTxt, dScale, img, txt, allImg, allTxt compute.Tensor, scale float32, rowOffset, _ int) {
	const op = "ContrastiveLoss"
	check(len(img.Shape) == 2 && len(allImg.Shape) == 2, op, "want 2-D features, got img %v allImg %v", img, allImg)
	r, e := img.Shape[0], img.Shape[1]
	n := allImg.Shape[0]
	check(r >= 1 && e >= 1, op, "no local rows or features: img %v", img)
	check(scale > 0, op, "scale %v, want > 0 (it is exp(logit_scale))", scale)
	check(sameShape(txt.Shape, img.Shape), op, "txt %v, want %v", txt, img)
	check(allImg.Shape[1] == e && sameShape(allTxt.Shape, allImg.Shape), op, "allImg %v allTxt %v, want [N,%d]", allImg, allTxt, e)
	check(rowOffset >= 0 && rowOffset+r <= n, op, "rows %d..%d outside the global batch of %d", rowOffset, rowOffset+r, n)
	for _, g := range []struct {
		t, ref compute.Tensor
		name   string
	}{{dImg, img, "dImg"}, {dTxt, txt, "dTxt"}, {dAllImg, allImg, "dAllImg"}, {dAllTxt, allTxt, "dAllTxt"}} {
		check(g.t.IsNil() || sameShape(g.t.Shape, g.ref.Shape), op, "%s %v, want %v", g.name, g.t, g.ref)
	}
	check(loss.IsNil() || loss.Numel() == 1, op, "loss %v, want one element", loss)
	check(dScale.IsNil() || dScale.Numel() == 1, op, "dScale %v, want one element", dScale)

	rp, np, ep := pad(r), pad(n), pad(e)
	rowBlocks, colTiles := rp/tile, np/tile
	// Column splits of the log-sum-exp pass: enough blocks for two waves.
	splits := min(max(ceilDiv(2*d.info.SMs, rowBlocks), 1), colTiles)
	tilesPerSplit := ceilDiv(colTiles, splits)
	splits = ceilDiv(colTiles, tilesPerSplit)
	rc := min(max(contrastiveChunkElems/np/tile*tile, tile), rp)
	grads := !dImg.IsNil() || !dTxt.IsNil() || !dAllImg.IsNil() || !dAllTxt.IsNil() || !dScale.IsNil()
	nparts := 2 * colTiles * rowBlocks

	xBytes, yBytes := bf16Bytes(rp, ep), bf16Bytes(np, ep)
	partBytes := int64(4 * splits * rp)
	gBytes := int64(0)
	if grads {
		gBytes = bf16Bytes(rc, np)
	}
	ws := d.workspace(carveSize(xBytes, yBytes, partBytes, partBytes, int64(4*rp), int64(4*2*r), gBytes, int64(4*nparts)))
	if ws == 0 {
		return
	}
	c := carver{base: ws}
	xbf, ybf := c.take(xBytes), c.take(yBytes)
	partM, partL := c.take(partBytes), c.take(partBytes)
	lse2, rowloss := c.take(int64(4*rp)), c.take(int64(4*2*r))
	gbuf := c.take(gBytes)
	parts := c.take(int64(4 * nparts))

	sl2 := float32(float64(scale) * math.Log2E)
	inv2R := float32(1 / float64(2*r))
	dirs := [2]struct {
		x, y, dx, dy compute.Tensor
	}{{img, allTxt, dImg, dAllTxt}, {txt, allImg, dTxt, dAllImg}}
	partsOff := 0
	for di, dir := range dirs {
		d.toBF16(xbf, rp, ep, devPtr(dir.x), r, e, e)
		d.toBF16(ybf, np, ep, devPtr(dir.y), n, e, e)
		d.launch("contrastive_lse", dim3{rowBlocks, splits, 1}, dim3{256, 1, 1},
			ptrArg(partM), ptrArg(partL), ptrArg(xbf), ptrArg(ybf), intArg(ep), intArg(n), intArg(rp),
			intArg(ep/32), intArg(tilesPerSplit), f32Arg(sl2))
		d.launch("contrastive_lse_combine", dim3{ceilDiv(r, 8), 1, 1}, dim3{256, 1, 1},
			ptrArg(lse2), ptrArg(rowloss+cu.DevicePtr(4*di*r)), ptrArg(partM), ptrArg(partL), intArg(splits), intArg(rp),
			ptrArg(devPtr(dir.x)), ptrArg(devPtr(dir.y)), intArg(r), intArg(e), intArg(rowOffset), f32Arg(scale))
		if !grads {
			continue
		}
		for c0 := 0; c0 < r; c0 += rc {
			rows := min(rc, r-c0)
			rowsPad := pad(rows)
			d.launch("contrastive_grad", dim3{colTiles, rowsPad / tile, 1}, dim3{256, 1, 1},
				ptrArg(gbuf), intArg(np), ptrArg(parts+cu.DevicePtr(4*partsOff)), ptrArg(xbf), ptrArg(ybf), intArg(ep),
				ptrArg(lse2), intArg(r), intArg(n), intArg(c0), intArg(rowOffset), intArg(ep/32), f32Arg(sl2), f32Arg(inv2R))
			partsOff += colTiles * rowsPad / tile
			if !dir.dx.IsNil() {
				// dX rows c0.. = scale·G·Y: few output tiles (E/128 per 128
				// rows) over a reduction of N, so split-K into zeroed rows.
				g := gemmCall{kernel: "gemm_kn", c: devPtr(dir.dx) + cu.DevicePtr(4*c0*e), ldc: e,
					a: gbuf, lda: np, b: ybf, ldb: ep, m: rows, n: e, mPad: rowsPad, nPad: ep, kPad: np, alpha: scale}
				if g.splits = d.splitK(rowsPad/tile*ep/tile, np/32); g.splits > 1 {
					d.Zero(dir.dx.Slice(c0, c0+rows))
					g.accumulate = 2
				}
				d.gemm(g)
			}
			if !dir.dy.IsNil() {
				// dY (+)= scale·Gᵀ·X[c0..]: the first chunk stores.
				acc := 0
				if c0 > 0 {
					acc = 1
				}
				d.gemm(gemmCall{kernel: "gemm_tkn", c: devPtr(dir.dy), ldc: e,
					a: gbuf, lda: np, b: xbf + cu.DevicePtr(2*c0*ep), ldb: ep, m: n, n: e, mPad: np, nPad: ep,
					kPad: rowsPad, alpha: scale, accumulate: acc})
			}
		}
	}
	if !grads {
		nparts = 0
	}
	d.launch("contrastive_finish", dim3{1, 1, 1}, dim3{256, 1, 1},
		ptrArg(devPtr(loss)), ptrArg(devPtr(dScale)), ptrArg(rowloss), intArg(2*r), ptrArg(parts), intArg(nparts), f32Arg(inv2R))
}
