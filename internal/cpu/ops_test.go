package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/compute"
)

// Each op is checked against a direct float64 evaluation of its definition.
// opTolerance bounds |got-want| relative to max|want| for float32 kernels
// with float32 accumulation over at most a few thousand terms.
const opTolerance = 2e-6

func randSlice(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

func assertClose(t *testing.T, name string, got []float32, want []float64, tol float64) {
	t.Helper()
	var maxRef, maxDiff float64
	worst := 0
	for i := range want {
		maxRef = math.Max(maxRef, math.Abs(want[i]))
		d := math.Abs(float64(got[i]) - want[i])
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > maxDiff {
			maxDiff, worst = d, i
		}
	}
	if maxDiff > tol*math.Max(maxRef, 1e-30) {
		t.Errorf("%s: max|diff| %.3g (%.3g of max|want| %.3g, limit %g) at %d: got %g want %g",
			name, maxDiff, maxDiff/maxRef, maxRef, tol, worst, got[worst], want[worst])
	}
}

func TestMatMulForward(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	be := New(2)
	shapes := [][3]int{{1, 1, 1}, {1, 7, 5}, {5, 7, 1}, {4, 4, 4}, {3, 17, 9}, {33, 65, 31}, {64, 128, 96}, {7, 1, 13}}
	for _, s := range shapes {
		for _, transB := range []bool{false, true} {
			for _, act := range []compute.Activation{compute.ActNone, compute.ActGELU, compute.ActQuickGELU, compute.ActReLU} {
				m, k, n := s[0], s[1], s[2]
				t.Run(fmt.Sprintf("%dx%dx%d_T%v_%v", m, k, n, transB, act), func(t *testing.T) {
					a, w, bias := randSlice(r, m*k, 1), randSlice(r, k*n, 1), randSlice(r, n, 1)
					wShape := []int{k, n}
					if transB {
						wShape = []int{n, k}
					}
					out := make([]float32, m*n)
					be.MatMulForward(FromSlice(out, m, n), FromSlice(a, m, k), FromSlice(w, wShape...), FromSlice(bias, n), transB, act)
					want := make([]float64, m*n)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							s := float64(bias[j])
							for p := 0; p < k; p++ {
								wv := w[p*n+j]
								if transB {
									wv = w[j*k+p]
								}
								s += float64(a[i*k+p]) * float64(wv)
							}
							want[i*n+j] = refAct(s, act)
						}
					}
					assertClose(t, "out", out, want, opTolerance)
				})
			}
		}
	}
}

func refAct(x float64, act compute.Activation) float64 {
	switch act {
	case compute.ActGELU:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case compute.ActQuickGELU:
		return x / (1 + math.Exp(-1.702*x))
	case compute.ActReLU:
		return math.Max(x, 0)
	}
	return x
}

func TestActivationExtremes(t *testing.T) {
	be := New(1)
	x := []float32{-1e30, -100, -20, -1, 0, 1, 20, 100, 1e30}
	for _, act := range []compute.Activation{compute.ActGELU, compute.ActQuickGELU, compute.ActReLU} {
		out := make([]float32, len(x))
		be.ActivationForward(FromSlice(out, len(x)), FromSlice(x, len(x)), act)
		for i, v := range out {
			want := refAct(float64(x[i]), act)
			if math.IsNaN(float64(v)) || math.Abs(float64(v)-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Errorf("%v(%g) = %g, want %g", act, x[i], v, want)
			}
		}
	}
}

func TestLayerNormForward(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	be := New(2)
	for _, s := range [][2]int{{1, 1}, {3, 5}, {17, 128}, {2, 768}} {
		n, c := s[0], s[1]
		x, w, b := randSlice(r, n*c, 3), randSlice(r, c, 1), randSlice(r, c, 1)
		for i := range x {
			x[i] += 10 // an offset exposes one-pass variance formulas
		}
		out, mean, rstd := make([]float32, n*c), make([]float32, n), make([]float32, n)
		be.LayerNormForward(FromSlice(out, n, c), FromSlice(mean, n), FromSlice(rstd, n), FromSlice(x, n, c), FromSlice(w, c), FromSlice(b, c), 1e-5)
		want := make([]float64, n*c)
		for i := 0; i < n; i++ {
			var mu, v float64
			for _, e := range x[i*c : i*c+c] {
				mu += float64(e)
			}
			mu /= float64(c)
			for _, e := range x[i*c : i*c+c] {
				v += (float64(e) - mu) * (float64(e) - mu)
			}
			rs := 1 / math.Sqrt(v/float64(c)+1e-5)
			for j := 0; j < c; j++ {
				want[i*c+j] = (float64(x[i*c+j])-mu)*rs*float64(w[j]) + float64(b[j])
			}
		}
		assertClose(t, fmt.Sprintf("layernorm %dx%d", n, c), out, want, opTolerance)
	}
}

func refAttention(q, k, v []float32, bs, tq, tk, c, heads int, causal bool) []float64 {
	d := c / heads
	out := make([]float64, bs*tq*c)
	for b := 0; b < bs; b++ {
		for h := 0; h < heads; h++ {
			for i := 0; i < tq; i++ {
				s := make([]float64, tk)
				mx := math.Inf(-1)
				for j := 0; j < tk; j++ {
					if causal && j > i {
						s[j] = math.Inf(-1)
						continue
					}
					for e := 0; e < d; e++ {
						s[j] += float64(q[(b*tq+i)*c+h*d+e]) * float64(k[(b*tk+j)*c+h*d+e])
					}
					s[j] /= math.Sqrt(float64(d))
					mx = math.Max(mx, s[j])
				}
				var sum float64
				for j := range s {
					s[j] = math.Exp(s[j] - mx)
					sum += s[j]
				}
				for j := range s {
					for e := 0; e < d; e++ {
						out[(b*tq+i)*c+h*d+e] += s[j] / sum * float64(v[(b*tk+j)*c+h*d+e])
					}
				}
			}
		}
	}
	return out
}

func TestAttentionForward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	be := New(2)
	cases := []struct {
		bs, tq, tk, c, heads int
		causal               bool
	}{
		{1, 1, 1, 4, 1, false},
		{2, 7, 7, 8, 2, true},
		{3, 50, 50, 64, 2, false},
		{2, 77, 77, 32, 2, true},
		{2, 1, 17, 16, 4, false}, // attention pooling: one query
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			q, k, v := randSlice(r, c.bs*c.tq*c.c, 2), randSlice(r, c.bs*c.tk*c.c, 2), randSlice(r, c.bs*c.tk*c.c, 1)
			out := make([]float32, len(q))
			probs := make([]float32, c.bs*c.heads*c.tq*c.tk)
			be.AttentionForward(FromSlice(out, c.bs, c.tq, c.c), FromSlice(probs, len(probs)),
				FromSlice(q, c.bs, c.tq, c.c), FromSlice(k, c.bs, c.tk, c.c), FromSlice(v, c.bs, c.tk, c.c), c.heads, c.causal)
			assertClose(t, "attention", out, refAttention(q, k, v, c.bs, c.tq, c.tk, c.c, c.heads, c.causal), opTolerance)
		})
	}
}

func TestConv2DForward(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	be := New(2)
	cases := []struct{ n, ci, h, w, co, k, stride, pad int }{
		{1, 1, 3, 3, 1, 1, 1, 0},
		{2, 3, 9, 9, 4, 3, 2, 1},
		{1, 5, 8, 6, 7, 3, 1, 1},
		{2, 4, 5, 5, 3, 1, 1, 0},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			x, w := randSlice(r, c.n*c.ci*c.h*c.w, 1), randSlice(r, c.co*c.ci*c.k*c.k, 1)
			ho, wo := (c.h+2*c.pad-c.k)/c.stride+1, (c.w+2*c.pad-c.k)/c.stride+1
			out := make([]float32, c.n*c.co*ho*wo)
			be.Conv2DForward(FromSlice(out, c.n, c.co, ho, wo), FromSlice(x, c.n, c.ci, c.h, c.w), FromSlice(w, c.co, c.ci, c.k, c.k), c.stride, c.pad)
			want := make([]float64, len(out))
			for n := 0; n < c.n; n++ {
				for o := 0; o < c.co; o++ {
					for oy := 0; oy < ho; oy++ {
						for ox := 0; ox < wo; ox++ {
							var s float64
							for i := 0; i < c.ci; i++ {
								for dy := 0; dy < c.k; dy++ {
									for dx := 0; dx < c.k; dx++ {
										iy, ix := oy*c.stride-c.pad+dy, ox*c.stride-c.pad+dx
										if iy >= 0 && iy < c.h && ix >= 0 && ix < c.w {
											s += float64(x[((n*c.ci+i)*c.h+iy)*c.w+ix]) * float64(w[((o*c.ci+i)*c.k+dy)*c.k+dx])
										}
									}
								}
							}
							want[((n*c.co+o)*ho+oy)*wo+ox] = s
						}
					}
				}
			}
			assertClose(t, "conv", out, want, opTolerance)
		})
	}
}

func TestPatchEmbedEqualsConv(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	be := New(2)
	bs, res, p, width := 2, 16, 4, 8
	g := res / p
	x, w := randSlice(r, bs*3*res*res, 1), randSlice(r, width*3*p*p, 1)
	got := make([]float32, bs*g*g*width)
	be.PatchEmbedForward(FromSlice(got, bs, g*g, width), FromSlice(x, bs, 3, res, res), FromSlice(w, width, 3, p, p), p)
	conv := make([]float32, bs*width*g*g)
	be.Conv2DForward(FromSlice(conv, bs, width, g, g), FromSlice(x, bs, 3, res, res), FromSlice(w, width, 3, p, p), p, 0)
	want := make([]float64, len(got))
	for b := 0; b < bs; b++ {
		for c := 0; c < width; c++ {
			for q := 0; q < g*g; q++ {
				want[(b*g*g+q)*width+c] = float64(conv[(b*width+c)*g*g+q])
			}
		}
	}
	assertClose(t, "patch embed vs conv", got, want, 1e-6)
}

func TestSmallOps(t *testing.T) {
	be := New(1)
	// AvgPool2D and SpatialTokens on a 1x1x2x2 image.
	x := []float32{1, 2, 3, 6}
	pooled := make([]float32, 1)
	be.AvgPool2DForward(FromSlice(pooled, 1, 1, 1, 1), FromSlice(x, 1, 1, 2, 2), 2)
	assertClose(t, "avgpool", pooled, []float64{3}, 1e-7)
	seq := make([]float32, 5)
	be.SpatialTokensForward(FromSlice(seq, 1, 5, 1), FromSlice(x, 1, 1, 2, 2))
	assertClose(t, "spatial tokens", seq, []float64{3, 1, 2, 3, 6}, 1e-7)
	// L2 normalisation, including the all-zero row F.normalize leaves at 0.
	v := []float32{3, 4, 0, 0}
	n := make([]float32, 4)
	be.L2NormalizeForward(FromSlice(n, 2, 2), FromSlice(v, 2, 2))
	assertClose(t, "l2", n, []float64{0.6, 0.8, 0, 0}, 1e-7)
	// BatchNorm with ReLU.
	bn := make([]float32, 4)
	be.BatchNormForward(FromSlice(bn, 1, 1, 2, 2), FromSlice(x, 1, 1, 2, 2), FromSlice([]float32{2}, 1), FromSlice([]float32{-5}, 1),
		FromSlice([]float32{1}, 1), FromSlice([]float32{4 - 1e-5}, 1), 1e-5, compute.ActReLU)
	assertClose(t, "batchnorm", bn, []float64{0, 0, 0, 0}, 1e-6)
	// Gather rows and the ViT token assembly.
	seq3 := []float32{1, 2, 3, 4, 5, 6, 7, 8}
	rows := make([]float32, 4)
	be.GatherRowsForward(FromSlice(rows, 2, 2), FromSlice(seq3, 2, 2, 2), []int{1, 0})
	assertClose(t, "gather", rows, []float64{3, 4, 5, 6}, 0)
	tok := make([]float32, 2*2*1)
	be.TokensAssembleForward(FromSlice(tok, 2, 2, 1), FromSlice([]float32{10, 20}, 2, 1, 1), FromSlice([]float32{1}, 1), FromSlice([]float32{100, 200}, 2, 1))
	assertClose(t, "tokens", tok, []float64{101, 210, 101, 220}, 0)
	emb := make([]float32, 2*2)
	be.EmbeddingForward(FromSlice(emb, 1, 2, 2), []int32{2, 0}, FromSlice([]float32{0, 1, 2, 3, 4, 5}, 3, 2), FromSlice([]float32{10, 20, 30, 40, 50, 60}, 3, 2))
	assertClose(t, "embedding", emb, []float64{14, 25, 30, 41}, 0)
}

func TestShapeMismatchPanicsWithOpName(t *testing.T) {
	defer func() {
		r := recover()
		if s, _ := r.(string); s == "" || !strings.Contains(s, "MatMulForward") {
			t.Fatalf("want a panic naming MatMulForward, got %v", r)
		}
	}()
	New(1).MatMulForward(FromSlice(make([]float32, 4), 2, 2), FromSlice(make([]float32, 6), 2, 3), FromSlice(make([]float32, 4), 2, 2), compute.Tensor{}, false, compute.ActNone)
}

func TestArenaReuse(t *testing.T) {
	a := New(1).NewArena()
	first := a.Alloc(10)
	data(first)[0] = 42
	a.Reset()
	second := a.Alloc(10)
	if first.Buf != second.Buf || first.Off != second.Off {
		t.Fatal("Reset did not reuse the slab")
	}
	big := a.Alloc(slabElems + 1)
	if big.Numel() != slabElems+1 {
		t.Fatal("large allocation")
	}
}

func TestArenaMarkRelease(t *testing.T) {
	a := New(1).NewArena()
	keep := a.Alloc(4)
	m := a.Mark()
	tmp := a.Alloc(8)
	a.Release(m)
	again := a.Alloc(8)
	if again.Buf != tmp.Buf || again.Off != tmp.Off {
		t.Fatal("Release did not rewind to the mark")
	}
	if keep.Off != 0 || again.Off != 4 {
		t.Fatalf("offsets %d and %d, want 0 and 4", keep.Off, again.Off)
	}
}
