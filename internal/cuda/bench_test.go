//go:build cuda

package cuda

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gorgonia.org/cu"

	"github.com/clip-go/clip/internal/atomicfile"
	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cuda/cublaslt"
	"github.com/clip-go/clip/internal/npy"
)

// TestBench times every kernel at CLIP's training shapes when
// CLIP_GPU_BENCH names a folder, and writes there bench.jsonl: per kernel
// and shape the median time (CUDA events, after warm-up, on random data),
// the useful floating-point work, the error against a float64 reference
// (sampled rows for the products, batch element 0 for attention) and how
// PyTorch does the same work, which scripts/gpu_check_torch.py times on the
// same GPU. The contrastive loss's float64 reference needs the whole batch:
// its inputs and outputs go to .npy files there, for the script.
func TestBench(t *testing.T) {
	dir := os.Getenv("CLIP_GPU_BENCH")
	if dir == "" {
		t.Skip("set CLIP_GPU_BENCH=<folder> to run the benchmarks")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &bench{t: t, dir: dir, r: rng(t)}
	// Records are written after each family, so a failure late in the run
	// keeps the earlier results.
	for _, family := range []func(){b.gemms, b.attention, b.contrastive} {
		family()
		b.flush()
	}
}

// flush writes the records so far to bench.jsonl (atomically).
func (b *bench) flush() {
	err := atomicfile.WriteFile(filepath.Join(b.dir, "bench.jsonl"), 0o644, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, r := range b.recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

type bench struct {
	t    *testing.T
	dir  string
	r    *rand.Rand
	recs []map[string]any
}

const (
	benchWarm = 3
	benchReps = 20
)

// timeOp is the median milliseconds of f over benchReps runs after
// benchWarm, each timed with CUDA events around it on the device's stream.
func (b *bench) timeOp(f func()) float64 {
	t := b.t
	for i := 0; i < benchWarm; i++ {
		f()
	}
	mustSync(t)
	var start, end cu.Event
	if err := dev.do(func() error {
		var err error
		if start, err = cu.MakeEvent(cu.DefaultEvent); err != nil {
			return err
		}
		end, err = cu.MakeEvent(cu.DefaultEvent)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = dev.do(func() error { _ = cu.DestroyEvent(&start); return cu.DestroyEvent(&end) })
	}()
	ms := make([]float64, benchReps)
	for i := range ms {
		if err := dev.do(func() error { return start.Record(dev.stream) }); err != nil {
			t.Fatal(err)
		}
		f()
		if err := dev.do(func() error {
			if err := end.Record(dev.stream); err != nil {
				return err
			}
			if err := end.Synchronize(); err != nil {
				return err
			}
			var err error
			ms[i], err = start.Elapsed(end)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	mustSync(t)
	slices.Sort(ms)
	return ms[len(ms)/2]
}

func (b *bench) add(kernel, shape string, ms, flop, maxRel float64, torch map[string]any) {
	rec := map[string]any{"kind": "bench", "kernel": kernel, "shape": shape, "ours_ms": ms, "flop": flop, "torch": torch}
	if !math.IsNaN(maxRel) {
		rec["max_rel"] = maxRel
	}
	b.recs = append(b.recs, rec)
	b.t.Logf("%-22s %-40s %8.3f ms %7.1f TFLOP/s  max rel %.3g", kernel, shape, ms, flop/ms/1e9, maxRel)
}

// sampleRows picks n distinct row indices below m (first and last included).
func (b *bench) sampleRows(m, n int) []int {
	idx := []int{0, m - 1}
	for len(idx) < min(n, m) {
		i := b.r.IntN(m)
		if !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	return idx
}

// rowsErr is errs over the sampled rows of got [*, cols].
func rowsErr(got []float32, cols int, idx []int, want [][]float64) float64 {
	var g []float32
	var w []float64
	for r, i := range idx {
		g = append(g, got[i*cols:(i+1)*cols]...)
		w = append(w, want[r]...)
	}
	maxRel, _, bad := errs(g, w)
	if bad > 0 {
		return math.Inf(1)
	}
	return maxRel
}

// gemms times MatMulForward (Linear layout with bias; the op as called,
// with its bf16 conversions), the tensor-core kernel alone on converted
// operands, cuBLASLt on the same operands, and both backward products, at
// the ViT-B/32 training shapes: batch 256, 50 image and 77 text tokens.
func (b *bench) gemms() {
	t := b.t
	shapes := []struct{ m, k, n int }{
		{256 * 50, 768, 768}, {256 * 50, 768, 3072}, {256 * 50, 3072, 768},
		{256 * 77, 512, 512}, {256 * 77, 512, 2048}, {256 * 77, 2048, 512},
	}
	for _, s := range shapes {
		m, k, n := s.m, s.k, s.n
		shape := fmt.Sprintf("M=%d K=%d N=%d", m, k, n)
		flop := 2 * float64(m) * float64(n) * float64(k)
		a := dev.NewArena().(*Arena)
		ad, wd, bd, gd := randn(b.r, m*k, 1), randn(b.r, n*k, 1), randn(b.r, n, 1), randn(b.r, m*n, 1)
		at, wt, bt, gt := a.Alloc(m, k), a.Alloc(n, k), a.Alloc(n), a.Alloc(m, n)
		dev.Upload(at, ad)
		dev.Upload(wt, wd)
		dev.Upload(bt, bd)
		dev.Upload(gt, gd)
		out := a.Alloc(m, n)
		idx := b.sampleRows(m, 16)
		wantFwd := gemmRows64(ad, wd, bd, k, n, true, idx)

		dev.Upload(out, nans(m*n))
		ms := b.timeOp(func() { dev.MatMulForward(out, at, wt, bt, true, compute.ActNone) })
		fwdErr := rowsErr(down(out), n, idx, wantFwd)
		b.add("gemm fwd (op)", shape, ms, flop, fwdErr, map[string]any{"op": "linear", "M": m, "K": k, "N": n})

		// The kernel alone, operands already bf16.
		mp, kp, np := pad(m), pad(k), pad(n)
		abf, wbf := a.Alloc(int(bf16Bytes(mp, kp)/4)), a.Alloc(int(bf16Bytes(np, kp)/4))
		dev.toBF16(devPtr(abf), mp, kp, devPtr(at), m, k, k)
		dev.toBF16(devPtr(wbf), np, kp, devPtr(wt), n, k, k)
		dev.Upload(out, nans(m*n))
		ms = b.timeOp(func() {
			dev.gemm(gemmCall{kernel: "gemm_nk", c: devPtr(out), ldc: n, a: devPtr(abf), lda: kp, b: devPtr(wbf), ldb: kp,
				bias: devPtr(bt), m: m, n: n, mPad: mp, nPad: np, kPad: kp, alpha: 1})
		})
		b.add("gemm fwd (kernel)", shape, ms, flop, rowsErr(down(out), n, idx, wantFwd), map[string]any{"op": "mm", "M": m, "K": k, "N": n})

		if _, err := loadLt(); err == nil {
			dev.Upload(out, nans(m*n))
			var ltErr error
			ms = b.timeOp(func() {
				if err := dev.MatMulForwardLt(out, at, wt, bt, true); err != nil && ltErr == nil {
					ltErr = err
				}
			})
			if ltErr != nil {
				t.Errorf("cuBLASLt %s: %v", shape, ltErr)
			} else {
				b.add("cublasLt fwd (op)", shape, ms, flop, rowsErr(down(out), n, idx, wantFwd), map[string]any{"op": "linear", "M": m, "K": k, "N": n})
			}
		}

		// da = dOut·W ([M,N]·[N,K]).
		da := a.Alloc(m, k)
		dev.Upload(da, nans(m*k))
		ms = b.timeOp(func() { dev.MatMulBackward(da, compute.Tensor{}, compute.Tensor{}, gt, at, wt, true) })
		b.add("gemm bwd da (op)", shape, ms, flop, rowsErr(down(da), k, idx, gemmRows64(gd, wd, nil, n, k, false, idx)),
			map[string]any{"op": "mm_da", "M": m, "K": k, "N": n})

		// db += dOutᵀ·a, dBias += column sums; checked after one call from zero.
		db, dbias := a.Alloc(n, k), a.Alloc(n)
		ms = b.timeOp(func() { dev.MatMulBackward(compute.Tensor{}, db, dbias, gt, at, wt, true) })
		dev.Zero(db)
		dev.MatMulBackward(compute.Tensor{}, db, compute.Tensor{}, gt, at, wt, true)
		nidx := b.sampleRows(n, 16)
		b.add("gemm bwd db (op)", shape, ms, flop, rowsErr(down(db), k, nidx, gradRows64(gd, ad, m, n, k, nidx)),
			map[string]any{"op": "mm_db", "M": m, "K": k, "N": n})
		if err := a.Free(); err != nil {
			t.Fatal(err)
		}
	}
}

// loadLt loads cuBLASLt; without it the benchmark leaves out its rows
// (TestMatMulForwardLt reports the failure).
func loadLt() (string, error) { return cublaslt.Load() }

// attention times the fused attention at CLIP's shapes (batch 256 for
// ViT-B, 128 for ViT-L/14).
func (b *bench) attention() {
	t := b.t
	cases := []struct {
		name         string
		b, tt, heads int
		causal       bool
	}{
		{"B/32 image", 256, 50, 12, false},
		{"B/32 text", 256, 77, 8, true},
		{"B/16 image", 256, 197, 12, false},
		{"L/14 image", 128, 257, 16, false},
	}
	for _, c := range cases {
		ch := c.heads * HeadDim
		shape := fmt.Sprintf("%s B=%d T=%d H=%d causal=%v", c.name, c.b, c.tt, c.heads, c.causal)
		n := c.b * c.tt * ch
		a := dev.NewArena().(*Arena)
		qd, kd, vd, gd := randn(b.r, n, 1), randn(b.r, n, 1), randn(b.r, n, 1), randn(b.r, n, 1)
		q, k, v, g := a.Alloc(c.b, c.tt, ch), a.Alloc(c.b, c.tt, ch), a.Alloc(c.b, c.tt, ch), a.Alloc(c.b, c.tt, ch)
		dev.Upload(q, qd)
		dev.Upload(k, kd)
		dev.Upload(v, vd)
		dev.Upload(g, gd)
		out, lse := a.Alloc(c.b, c.tt, ch), a.Alloc(c.b, c.heads, c.tt)
		dq, dk, dv := a.Alloc(c.b, c.tt, ch), a.Alloc(c.b, c.tt, ch), a.Alloc(c.b, c.tt, ch)
		for _, x := range []compute.Tensor{out, lse, dq, dk, dv} {
			dev.Upload(x, nans(x.Numel()))
		}
		pairs := float64(c.b*c.heads) * float64(c.tt) * float64(c.tt) * HeadDim
		if c.causal {
			pairs /= 2
		}
		torch := map[string]any{"op": "sdpa", "B": c.b, "T": c.tt, "H": c.heads, "causal": c.causal}
		fwd := func() { dev.AttentionForward(out, lse, q, k, v, c.heads, c.causal) }
		bwd := func() { dev.AttentionBackward(dq, dk, dv, g, out, lse, q, k, v, c.heads, c.causal) }
		msF := b.timeOp(fwd)
		msB := b.timeOp(bwd)
		msFB := b.timeOp(func() { fwd(); bwd() })

		wOut, _, wdq, wdk, wdv := attnRef64(qd, kd, vd, gd, 0, c.tt, c.tt, ch, c.heads, c.causal)
		e := func(x compute.Tensor, want []float64) float64 {
			m, _, bad := errs(down(x.Slice(0, 1)), want)
			if bad > 0 {
				return math.Inf(1)
			}
			return m
		}
		fwdErr := e(out, wOut)
		bwdErr := max(e(dq, wdq), e(dk, wdk), e(dv, wdv))
		b.add("attn fwd", shape, msF, 4*pairs, fwdErr, merge(torch, "pass", "fwd"))
		b.add("attn bwd", shape, msB, 10*pairs, bwdErr, merge(torch, "pass", "bwd"))
		b.add("attn fwd+bwd", shape, msFB, 14*pairs, max(fwdErr, bwdErr), merge(torch, "pass", "fwdbwd"))
		if err := a.Free(); err != nil {
			t.Fatal(err)
		}
	}
}

func merge(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for key, val := range m {
		out[key] = val
	}
	return out
}

// contrastive times the fused loss at B = 32768, E = 512, on one device
// (R = N) and as one of 8 shards; inputs and outputs go to .npy files.
func (b *bench) contrastive() {
	t := b.t
	const n, e = 32768, 512
	const scale = 100
	for _, c := range []struct{ rows, off int }{{n, 0}, {n / 8, 3 * n / 8}} {
		shape := fmt.Sprintf("N=%d R=%d E=%d off=%d scale=%d", n, c.rows, e, c.off, scale)
		a := dev.NewArena().(*Arena)
		imgD, txtD := unitRows(b.r, n, e), unitRows(b.r, n, e)
		allImg, allTxt := a.Alloc(n, e), a.Alloc(n, e)
		dev.Upload(allImg, imgD)
		dev.Upload(allTxt, txtD)
		img, txt := allImg.Slice(c.off, c.off+c.rows), allTxt.Slice(c.off, c.off+c.rows)
		loss, dScale := a.Alloc(1), a.Alloc(1)
		dImg, dTxt, dAllImg, dAllTxt := a.Alloc(c.rows, e), a.Alloc(c.rows, e), a.Alloc(n, e), a.Alloc(n, e)
		for _, x := range []compute.Tensor{loss, dScale, dImg, dTxt, dAllImg, dAllTxt} {
			dev.Upload(x, nans(x.Numel()))
		}
		var none compute.Tensor
		useful := 4 * float64(c.rows) * n * e // two logits products
		torch := map[string]any{"op": "contrastive", "N": n, "R": c.rows, "E": e, "off": c.off, "scale": scale}
		sub := fmt.Sprintf("contrastive_R%d", c.rows)
		msF := b.timeOp(func() {
			dev.ContrastiveLoss(loss, none, none, none, none, none, img, txt, allImg, allTxt, scale, c.off, 0)
		})
		msFB := b.timeOp(func() {
			dev.ContrastiveLoss(loss, dImg, dTxt, dAllImg, dAllTxt, dScale, img, txt, allImg, allTxt, scale, c.off, 0)
		})
		// The error needs the float64 loss over the whole batch: the
		// script computes it from these files (npy_dir).
		out := filepath.Join(b.dir, sub)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, x := range map[string]compute.Tensor{
			"allImg": allImg, "allTxt": allTxt, "loss": loss, "dScale": dScale,
			"dImg": dImg, "dTxt": dTxt, "dAllImg": dAllImg, "dAllTxt": dAllTxt,
		} {
			data := down(x)
			err := atomicfile.WriteFile(filepath.Join(out, name+".npy"), 0o644, func(w io.Writer) error {
				return npy.Write(w, data, x.Shape...)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		b.add("contrastive fwd", shape, msF, useful, math.NaN(), merge(torch, "pass", "fwd"))
		b.add("contrastive fwd+bwd", shape, msFB, 3*useful, math.NaN(), merge(merge(torch, "pass", "fwdbwd"), "npy_dir", out))
		if err := a.Free(); err != nil {
			t.Fatal(err)
		}
	}
}
