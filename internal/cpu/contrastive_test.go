package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/golden"
)

// contrastiveRef is the CLIP loss of compute.TrainOps.ContrastiveLoss
// evaluated in float64 with the full logits matrices, and its gradients.
type contrastiveRef struct {
	loss, dScale                 float64
	dImg, dTxt, dAllImg, dAllTxt []float64
}

func refContrastive(img, txt, allImg, allTxt []float64, scale float64, rows, n, e, rowOffset int) contrastiveRef {
	ref := contrastiveRef{
		dImg: make([]float64, rows*e), dTxt: make([]float64, rows*e),
		dAllImg: make([]float64, n*e), dAllTxt: make([]float64, n*e),
	}
	inv := 1 / float64(2*rows)
	// dir 0: img rows against allTxt columns; dir 1: txt rows against allImg.
	for dir := range 2 {
		a, cols, da, dcols := img, allTxt, ref.dImg, ref.dAllTxt
		if dir == 1 {
			a, cols, da, dcols = txt, allImg, ref.dTxt, ref.dAllImg
		}
		for r := range rows {
			logits := make([]float64, n)
			dots := make([]float64, n)
			m := math.Inf(-1)
			for j := range n {
				for k := range e {
					dots[j] += a[r*e+k] * cols[j*e+k]
				}
				logits[j] = scale * dots[j]
				m = math.Max(m, logits[j])
			}
			sum := 0.0
			for _, l := range logits {
				sum += math.Exp(l - m)
			}
			lse := m + math.Log(sum)
			ref.loss += (lse - logits[rowOffset+r]) * inv
			for j := range n {
				g := math.Exp(logits[j] - lse)
				if j == rowOffset+r {
					g--
				}
				g *= inv
				ref.dScale += g * dots[j]
				for k := range e {
					da[r*e+k] += scale * g * cols[j*e+k]
					dcols[j*e+k] += scale * g * a[r*e+k]
				}
			}
		}
	}
	return ref
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// randUnitRows returns n random rows of width e, L2-normalised in float64.
func randUnitRows(r *rand.Rand, n, e int) []float32 {
	x := make([]float32, n*e)
	for i := range n {
		row := make([]float64, e)
		ss := 0.0
		for k := range row {
			row[k] = r.NormFloat64()
			ss += row[k] * row[k]
		}
		for k := range row {
			x[i*e+k] = float32(row[k] / math.Sqrt(ss))
		}
	}
	return x
}

type contrastiveOut struct {
	loss, dScale                 float32
	dImg, dTxt, dAllImg, dAllTxt []float32
}

func runContrastive(be *Backend, allImg, allTxt []float32, scale float32, rows, n, e, rowOffset, tile int) contrastiveOut {
	o := contrastiveOut{
		dImg: make([]float32, rows*e), dTxt: make([]float32, rows*e),
		dAllImg: make([]float32, n*e), dAllTxt: make([]float32, n*e),
	}
	// Poison the outputs: everything must be overwritten.
	for _, s := range [][]float32{o.dImg, o.dTxt, o.dAllImg, o.dAllTxt} {
		for i := range s {
			s[i] = float32(math.NaN())
		}
	}
	loss, ds := []float32{float32(math.NaN())}, []float32{float32(math.NaN())}
	img := FromSlice(allImg, n, e).Slice(rowOffset, rowOffset+rows)
	txt := FromSlice(allTxt, n, e).Slice(rowOffset, rowOffset+rows)
	be.ContrastiveLoss(FromSlice(loss, 1), FromSlice(o.dImg, rows, e), FromSlice(o.dTxt, rows, e),
		FromSlice(o.dAllImg, n, e), FromSlice(o.dAllTxt, n, e), FromSlice(ds, 1),
		img, txt, FromSlice(allImg, n, e), FromSlice(allTxt, n, e), scale, rowOffset, tile)
	o.loss, o.dScale = loss[0], ds[0]
	return o
}

func checkAgainstRef(t *testing.T, name string, o contrastiveOut, ref contrastiveRef, tol float64) {
	t.Helper()
	assertClose(t, name+" loss", []float32{o.loss}, []float64{ref.loss}, tol)
	assertClose(t, name+" dScale", []float32{o.dScale}, []float64{ref.dScale}, tol)
	assertClose(t, name+" dImg", o.dImg, ref.dImg, tol)
	assertClose(t, name+" dTxt", o.dTxt, ref.dTxt, tol)
	assertClose(t, name+" dAllImg", o.dAllImg, ref.dAllImg, tol)
	assertClose(t, name+" dAllTxt", o.dAllTxt, ref.dAllTxt, tol)
}

func TestContrastiveLossAgainstNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	be := New(2)
	for _, c := range []struct{ n, rows, off, e int }{
		{1, 1, 0, 4}, {8, 8, 0, 16}, {10, 4, 3, 8}, {37, 13, 24, 32}, {64, 16, 16, 24}, {130, 130, 0, 16},
	} {
		allImg, allTxt := randUnitRows(r, c.n, c.e), randUnitRows(r, c.n, c.e)
		scale := float32(14.3)
		ref := refContrastive(to64(allImg[c.off*c.e:(c.off+c.rows)*c.e]), to64(allTxt[c.off*c.e:(c.off+c.rows)*c.e]),
			to64(allImg), to64(allTxt), float64(scale), c.rows, c.n, c.e, c.off)
		untiled := runContrastive(be, allImg, allTxt, scale, c.rows, c.n, c.e, c.off, c.n)
		for _, tile := range []int{1, 3, 7, c.n, c.n + 5, 0, -1} {
			name := fmt.Sprintf("N=%d b=%d off=%d tile=%d", c.n, c.rows, c.off, tile)
			o := runContrastive(be, allImg, allTxt, scale, c.rows, c.n, c.e, c.off, tile)
			checkAgainstRef(t, name, o, ref, 2e-6)
			// Tiled equals untiled up to float32 rounding.
			checkAgainstRef(t, name+" vs untiled", o, contrastiveRef{
				loss: float64(untiled.loss), dScale: float64(untiled.dScale),
				dImg: to64(untiled.dImg), dTxt: to64(untiled.dTxt), dAllImg: to64(untiled.dAllImg), dAllTxt: to64(untiled.dAllTxt),
			}, 2e-6)
		}
	}
}

// TestContrastiveRefFiniteDifferences checks the reference gradients
// against central differences of the reference loss (float64).
func TestContrastiveRefFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	const n, rows, off, e = 9, 4, 3, 5
	allImg, allTxt := to64(randUnitRows(r, n, e)), to64(randUnitRows(r, n, e))
	img, txt := append([]float64(nil), allImg[off*e:(off+rows)*e]...), append([]float64(nil), allTxt[off*e:(off+rows)*e]...)
	scale := 7.5
	ref := refContrastive(img, txt, allImg, allTxt, scale, rows, n, e, off)
	lossAt := func() float64 { return refContrastive(img, txt, allImg, allTxt, scale, rows, n, e, off).loss }
	const h = 1e-6
	for _, v := range []struct {
		name string
		x    []float64
		grad []float64
	}{{"img", img, ref.dImg}, {"txt", txt, ref.dTxt}, {"allImg", allImg, ref.dAllImg}, {"allTxt", allTxt, ref.dAllTxt}} {
		for i := range v.x {
			x0 := v.x[i]
			v.x[i] = x0 + h
			lp := lossAt()
			v.x[i] = x0 - h
			lm := lossAt()
			v.x[i] = x0
			if fd := (lp - lm) / (2 * h); math.Abs(fd-v.grad[i]) > 1e-7+1e-6*math.Abs(fd) {
				t.Errorf("%s[%d]: analytic %.9g, finite difference %.9g", v.name, i, v.grad[i], fd)
			}
		}
	}
	s0 := scale
	scale = s0 + h
	lp := lossAt()
	scale = s0 - h
	lm := lossAt()
	if fd := (lp - lm) / (2 * h); math.Abs(fd-ref.dScale) > 1e-7+1e-6*math.Abs(fd) {
		t.Errorf("dScale: analytic %.9g, finite difference %.9g", ref.dScale, fd)
	}

	// And the float32 kernel against central differences of its own loss.
	be := New(1)
	f32 := func(x []float64) []float32 {
		y := make([]float32, len(x))
		for i, v := range x {
			y[i] = float32(v)
		}
		return y
	}
	ai, at := f32(allImg), f32(allTxt)
	o := runContrastive(be, ai, at, float32(s0), rows, n, e, off, 4)
	// Perturb a column-only entry (row 0 of allTxt is not a local row).
	const hk = 1e-2
	x0 := at[1]
	at[1] = x0 + hk
	lp32 := runContrastive(be, ai, at, float32(s0), rows, n, e, off, 4).loss
	at[1] = x0 - hk
	lm32 := runContrastive(be, ai, at, float32(s0), rows, n, e, off, 4).loss
	at[1] = x0
	if fd := (float64(lp32) - float64(lm32)) / (2 * hk); math.Abs(fd-float64(o.dAllTxt[1])) > 1e-3 {
		t.Errorf("kernel dAllTxt[1] = %g, finite difference %g", o.dAllTxt[1], fd)
	}
}

// TestContrastiveLossLargeScale: scale 100 with identical and opposite rows
// (logits ±100) stays finite and matches float64.
func TestContrastiveLossLargeScale(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, e = 24, 8
	allImg := randUnitRows(r, n, e)
	allTxt := make([]float32, n*e)
	copy(allTxt, allImg)
	for k := range e { // row 5 of txt opposes row 5 of img; rows 6, 7 swap
		allTxt[5*e+k] = -allImg[5*e+k]
		allTxt[6*e+k], allTxt[7*e+k] = allImg[7*e+k], allImg[6*e+k]
	}
	be := New(2)
	for _, tile := range []int{1, 5, n} {
		for _, off := range []int{0, 8} {
			rows := n - off
			ref := refContrastive(to64(allImg[off*e:]), to64(allTxt[off*e:]), to64(allImg), to64(allTxt), 100, rows, n, e, off)
			o := runContrastive(be, allImg, allTxt, 100, rows, n, e, off, tile)
			for _, v := range append([]float32{o.loss, o.dScale}, append(append(o.dImg, o.dTxt...), append(o.dAllImg, o.dAllTxt...)...)...) {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("tile %d off %d: non-finite output", tile, off)
				}
			}
			// At scale 100 a float32 logit carries an absolute rounding
			// error of ~1e-5, which exp turns into that relative error of
			// every softmax entry; the gradients are tiny here (the
			// softmax is nearly one-hot), so the bound is relative to them.
			checkAgainstRef(t, fmt.Sprintf("scale 100 tile %d off %d", tile, off), o, ref, 1e-4)
		}
	}
}

// TestContrastiveLossSharded: with D devices of b = N/D rows, the mean of
// the local losses is the single-device loss, and
// (dImg_d + Σ_devices dAllImg rows of d)/D — the local row gradient plus the
// reduce-scatter of the column gradients, then AllReduceMean's 1/D — is the
// single-device gradient dImg + dAllImg (img and allImg being one tensor
// there); dScale is averaged likewise.
func TestContrastiveLossSharded(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const n, e = 12, 16
	allImg, allTxt := randUnitRows(r, n, e), randUnitRows(r, n, e)
	be := New(2)
	const scale = 20
	single := runContrastive(be, allImg, allTxt, scale, n, n, e, 0, 5)
	wantImg, wantTxt := make([]float64, n*e), make([]float64, n*e)
	for i := range wantImg {
		wantImg[i] = float64(single.dImg[i]) + float64(single.dAllImg[i])
		wantTxt[i] = float64(single.dTxt[i]) + float64(single.dAllTxt[i])
	}
	for _, d := range []int{2, 3} {
		rows := n / d
		outs := make([]contrastiveOut, d)
		var loss, dScale float64
		for rank := range d {
			outs[rank] = runContrastive(be, allImg, allTxt, scale, rows, n, e, rank*rows, 3)
			loss += float64(outs[rank].loss) / float64(d)
			dScale += float64(outs[rank].dScale) / float64(d)
		}
		gotImg, gotTxt := make([]float32, n*e), make([]float32, n*e)
		for rank := range d {
			for i := range rows * e {
				gi, gt := float64(outs[rank].dImg[i]), float64(outs[rank].dTxt[i])
				for _, o := range outs { // reduce-scatter of the column gradients
					gi += float64(o.dAllImg[rank*rows*e+i])
					gt += float64(o.dAllTxt[rank*rows*e+i])
				}
				gotImg[rank*rows*e+i] = float32(gi / float64(d))
				gotTxt[rank*rows*e+i] = float32(gt / float64(d))
			}
		}
		name := fmt.Sprintf("D=%d", d)
		assertClose(t, name+" loss", []float32{float32(loss)}, []float64{float64(single.loss)}, 1e-6)
		assertClose(t, name+" dScale", []float32{float32(dScale)}, []float64{float64(single.dScale)}, 1e-6)
		assertClose(t, name+" dImg", gotImg, wantImg, 2e-6)
		assertClose(t, name+" dTxt", gotTxt, wantTxt, 2e-6)
	}
}

// TestContrastiveLossGolden: the loss of the reference training step (and
// d loss/d logit_scale = dScale·scale) from the stored features.
func TestContrastiveLossGolden(t *testing.T) {
	be := New(2)
	for _, file := range []string{"tiny-vit_step.safetensors", "tiny-vit_clamp.safetensors"} {
		ts := golden.ReadTensors(t, golden.Path(t, "train", file))
		imgT, txtT := ts["image_features"], ts["text_features"]
		n, e := imgT.Shape[0], imgT.Shape[1]
		norm := func(x []float32) []float32 {
			y := make([]float32, len(x))
			for i := range n {
				ss := 0.0
				for k := range e {
					ss += float64(x[i*e+k]) * float64(x[i*e+k])
				}
				for k := range e {
					y[i*e+k] = float32(float64(x[i*e+k]) / math.Sqrt(ss))
				}
			}
			return y
		}
		img, txt := norm(imgT.F32), norm(txtT.F32)
		scale := float32(math.Exp(float64(ts["before.logit_scale"].F32[0])))
		for _, tile := range []int{0, 3} {
			loss, ds := []float32{0}, []float32{0}
			be.ContrastiveLoss(FromSlice(loss, 1), compute.Tensor{}, compute.Tensor{}, compute.Tensor{}, compute.Tensor{}, FromSlice(ds, 1),
				FromSlice(img, n, e), FromSlice(txt, n, e), FromSlice(img, n, e), FromSlice(txt, n, e), scale, 0, tile)
			want := ts["loss"].F32[0]
			d := golden.AssertRel(t, file+" loss", loss, []float32{want}, 1e-5)
			g := golden.AssertRel(t, file+" grad.logit_scale", []float32{ds[0] * scale}, ts["grad.logit_scale"].F32, 1e-5)
			t.Logf("%s tile %d: loss %.8g (want %.8g, rel %.2g); grad.logit_scale rel %.2g", file, tile, loss[0], want, d.Rel(), g.Rel())
		}
	}
}

// TestContrastiveLossMemory: the only working memory is two b×tile tiles.
func TestContrastiveLossMemory(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	const n, rows, e, tile = 300, 40, 8, 16
	allImg, allTxt := randUnitRows(r, n, e), randUnitRows(r, n, e)
	be := New(2)
	runContrastive(be, allImg, allTxt, 10, rows, n, e, 100, tile)
	if got := cap(be.scratch[scratchCols]); got != 2*rows*tile {
		t.Errorf("scratch of %d floats, want 2·b·tile = %d", got, 2*rows*tile)
	}
}

func BenchmarkContrastiveLoss(bm *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n, e = 2048, 512
	allImg, allTxt := randUnitRows(r, n, e), randUnitRows(r, n, e)
	be := New(0)
	for bm.Loop() {
		runContrastive(be, allImg, allTxt, 100, n, n, e, 0, 0)
	}
}
