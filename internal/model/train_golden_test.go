package model_test

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/localcomm"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/trainer"
)

// gradTolerance is the golden README's protocol (1): every gradient within
// 1e-4 of its tensor's largest value (the reference's own float32 drift is
// ~1e-6).
const gradTolerance = 1e-4

const tokenEmbedding = "token_embedding.weight"

// trainModel builds tiny-vit on its own CPU backend with the golden
// weights, logit_scale replaced by the step file's before.logit_scale.
func trainModel(t *testing.T, step map[string]golden.Tensor) *model.CLIP {
	t.Helper()
	cfg, err := model.LoadOpenCLIPConfig(golden.Path(t, "tiny-vit", "open_clip_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cfg, cpu.New(1))
	if err != nil {
		t.Fatal(err)
	}
	host := map[string]model.HostTensor{}
	for k, v := range golden.ReadTensors(t, golden.Path(t, "tiny-vit", "open_clip_model.safetensors")) {
		if v.DType == "F32" {
			host[k] = model.HostTensor{Shape: v.Shape, Data: v.F32}
		}
	}
	ls := host["logit_scale"]
	host["logit_scale"] = model.HostTensor{Shape: ls.Shape, Data: step["before.logit_scale"].F32}
	if err := m.LoadWeights(host); err != nil {
		t.Fatal(err)
	}
	return m
}

// deviceStep is one device's training step (trainer.Device.Step) on its n
// samples out of D·n, with comm nil for a single device and opt nil for no
// optimiser step. Afterwards m.Grads holds the gradient of the whole-batch
// loss, logit_scale's included, identical on every device.
func deviceStep(m *model.CLIP, comm compute.Comm, opt *trainer.Optimizer, lr float32, pixels []float32, n int, tokens [][]int32) (trainer.StepResult, error) {
	d := &trainer.Device{Model: m, Comm: comm, Opt: opt, KeepFeatures: true}
	return d.Step(m.Backend().NewArena(), pixels, n, tokens, lr)
}

func download(m *model.CLIP, t compute.Tensor) []float32 {
	out := make([]float32, t.Numel())
	m.Backend().Download(out, t)
	return out
}

// tokenRows checks the token embedding's gradient (or weights) against the
// reference's sparse rows; every other row must satisfy other.
func tokenRows(t *testing.T, what string, got []float32, width int, rows []int32, want []float32, tol float64, other func(row int, v []float32) bool) golden.Diff {
	t.Helper()
	sel := make([]float32, 0, len(want))
	listed := map[int]bool{}
	for _, r := range rows {
		sel = append(sel, got[int(r)*width:int(r)*width+width]...)
		listed[int(r)] = true
	}
	d := golden.Compare(sel, want)
	if d.MaxAbs > tol || math.IsInf(d.MaxAbs, 0) {
		t.Errorf("%s: listed rows max|diff| %.3g (limit %.3g): got %g want %g", what, d.MaxAbs, tol, d.Got, d.Want)
	}
	bad := 0
	for r := 0; r < len(got)/width; r++ {
		if !listed[r] && !other(r, got[r*width:r*width+width]) {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d unlisted rows wrong", what, bad)
	}
	return d
}

func TestTrainStepMatchesGolden(t *testing.T) {
	for _, file := range []string{"tiny-vit_step", "tiny-vit_clamp"} {
		t.Run(file, func(t *testing.T) {
			g := golden.ReadTensors(t, golden.Path(t, "train", file+".safetensors"))
			m := trainModel(t, g)
			px, tokens := g["pixels"], g["tokens"].Rows()
			n := px.Shape[0]
			width := m.Config.Text.Width
			// The step ends with one AdamW step from our own gradients
			// (protocol (3)), checked after the gradients, which it leaves
			// as they are.
			const lr = 0.0005
			opt, err := trainer.NewDeviceOptimizer(m, m.Backend().(*cpu.Backend), trainer.DefaultAdamW())
			if err != nil {
				t.Fatal(err)
			}
			before := download(m, m.Params.Get(tokenEmbedding))
			r, err := deviceStep(m, nil, opt, lr, px.F32, n, tokens)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name      string
				got, want []float32
			}{
				{"image_features", r.ImageFeatures, g["image_features"].F32},
				{"text_features", r.TextFeatures, g["text_features"].F32},
				{"loss", []float32{r.Loss}, g["loss"].F32},
			} {
				d := golden.AssertRel(t, c.name, c.got, c.want, forwardTolerance)
				t.Logf("%s: max|diff| %.2g of max|want|", c.name, d.Rel())
			}

			// Every stored gradient.
			var worst golden.Diff
			worstName, compared := "", 0
			for _, s := range m.Params.Specs {
				want, ok := g["grad."+s.Name]
				if !ok {
					continue
				}
				compared++
				d := golden.AssertRel(t, "grad."+s.Name, download(m, m.Grads.Get(s.Name)), want.F32, gradTolerance)
				if d.Rel() >= worst.Rel() {
					worst, worstName = d, s.Name
				}
			}
			if rows, ok := g["rows."+tokenEmbedding]; ok {
				want := g["grad_rows."+tokenEmbedding].F32
				got := download(m, m.Grads.Get(tokenEmbedding))
				d := tokenRows(t, "grad "+tokenEmbedding, got, width, rows.I32, want, gradTolerance*golden.Compare(want, want).MaxRef,
					func(_ int, v []float32) bool {
						for _, x := range v {
							if x != 0 {
								return false
							}
						}
						return true
					})
				compared++
				t.Logf("grad %s rows: max|diff| %.2g of max|want|", tokenEmbedding, d.Rel())
			}
			t.Logf("%d gradients compared; worst %s: max|diff| %.3g = %.3g of max|want| %.3g (got %g want %g)",
				compared, worstName, worst.MaxAbs, worst.Rel(), worst.MaxRef, worst.Got, worst.Want)

			// The step's AdamW update from our own gradients (protocol (3)).
			specs := m.Params.Specs
			worstAfter, worstAfterName := 0.0, ""
			for _, s := range specs {
				want, ok := g["after."+s.Name]
				if !ok {
					continue
				}
				d := golden.Compare(download(m, m.Params.Get(s.Name)), want.F32)
				if d.MaxAbs > lr || math.IsInf(d.MaxAbs, 0) {
					t.Errorf("after.%s: max|diff| %.3g > lr %g (got %g want %g)", s.Name, d.MaxAbs, lr, d.Got, d.Want)
				}
				if d.MaxAbs >= worstAfter {
					worstAfter, worstAfterName = d.MaxAbs, s.Name
				}
			}
			if rows, ok := g["rows."+tokenEmbedding]; ok {
				decay := float32(1 - lr*trainer.DefaultAdamW().WeightDecay)
				got := download(m, m.Params.Get(tokenEmbedding))
				d := tokenRows(t, "after "+tokenEmbedding, got, width, rows.I32, g["after_rows."+tokenEmbedding].F32, lr,
					func(row int, v []float32) bool {
						for j, x := range v {
							if x != before[row*width+j]*decay {
								return false
							}
						}
						return true
					})
				if d.MaxAbs >= worstAfter {
					worstAfter, worstAfterName = d.MaxAbs, tokenEmbedding+" rows"
				}
			}
			t.Logf("after the AdamW step: worst %s max|diff| %.3g (limit lr = %g)", worstAfterName, worstAfter, lr)
		})
	}
}

// Data parallel training over D in-process devices, each with B/D of the
// golden batch, must give the single-device loss and gradients.
func TestDataParallelMatchesSingleDevice(t *testing.T) {
	g := golden.ReadTensors(t, golden.Path(t, "train", "tiny-vit_step.safetensors"))
	px, tokens := g["pixels"], g["tokens"].Rows()
	b := px.Shape[0]
	per := len(px.F32) / b
	ref := trainModel(t, g)
	want, err := deviceStep(ref, nil, nil, 0, px.F32, b, tokens)
	if err != nil {
		t.Fatal(err)
	}
	wantGrads := map[string][]float32{}
	for _, s := range ref.Params.Specs {
		wantGrads[s.Name] = download(ref, ref.Grads.Get(s.Name))
	}
	for _, d := range []int{2, 4} {
		t.Run(fmt.Sprintf("D=%d", d), func(t *testing.T) {
			models := make([]*model.CLIP, d)
			backends := make([]compute.Backend, d)
			for r := range models {
				models[r] = trainModel(t, g)
				backends[r] = models[r].Backend()
			}
			comms := localcomm.New(backends)
			n := b / d
			results := make([]trainer.StepResult, d)
			errs := make([]error, d)
			var wg sync.WaitGroup
			for r := 0; r < d; r++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					m := models[r]
					results[r], errs[r] = deviceStep(m, comms[r], nil, 0, px.F32[r*n*per:(r+1)*n*per], n, tokens[r*n:(r+1)*n])
					if errs[r] != nil {
						comms[r].(*localcomm.Comm).Abort(errs[r])
					}
				}()
			}
			wg.Wait()
			for r, err := range errs {
				if err != nil {
					t.Fatalf("rank %d: %v", r, err)
				}
			}
			golden.AssertRel(t, "loss", []float32{results[0].Loss}, []float32{want.Loss}, 1e-6)
			golden.AssertRel(t, "dScale", []float32{results[0].DScale}, []float32{want.DScale}, 1e-5)
			t.Logf("loss %.8g (D=1: %.8g), dScale %.8g (D=1: %.8g)", results[0].Loss, want.Loss, results[0].DScale, want.DScale)
			var worst golden.Diff
			worstName := ""
			for r, m := range models {
				for _, s := range m.Params.Specs {
					got := download(m, m.Grads.Get(s.Name))
					dd := golden.AssertRel(t, fmt.Sprintf("rank %d grad %s", r, s.Name), got, wantGrads[s.Name], 1e-5)
					if dd.Rel() >= worst.Rel() {
						worst, worstName = dd, s.Name
					}
				}
			}
			t.Logf("worst gradient %s: max|diff| %.3g = %.3g of max|D=1| %.3g", worstName, worst.MaxAbs, worst.Rel(), worst.MaxRef)
		})
	}
}
