package trainer

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
)

func TestScheduleGolden(t *testing.T) {
	raw, err := os.ReadFile(golden.Path(t, "train", "lr_schedule.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Schedules []struct {
			BaseLR float64   `json:"base_lr"`
			Warmup int       `json:"warmup_length"`
			Steps  int       `json:"steps"`
			LR     []float64 `json:"lr"`
		} `json:"schedules"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Schedules) == 0 {
		t.Fatal("no schedules")
	}
	worst := 0.0
	for _, s := range f.Schedules {
		sch := Schedule{BaseLR: s.BaseLR, Warmup: s.Warmup, Steps: s.Steps}
		if len(s.LR) != s.Steps+1 {
			t.Fatalf("%d rates listed for steps 0..%d", len(s.LR), s.Steps)
		}
		for step, want := range s.LR {
			got := sch.LR(step)
			d := math.Abs(got - want)
			worst = max(worst, d/s.BaseLR)
			if d > 1e-15*s.BaseLR {
				t.Errorf("base %g warmup %d steps %d: lr(%d) = %.17g, want %.17g", s.BaseLR, s.Warmup, s.Steps, step, got, want)
			}
		}
	}
	t.Logf("max |lr - ref| / base_lr = %.3g", worst)
}

func tinyViT(t *testing.T) (model.Config, []model.ParamSpec) {
	t.Helper()
	cfg, err := model.LoadOpenCLIPConfig(golden.Path(t, "tiny-vit", "open_clip_config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, model.ParamTable(cfg)
}

func TestGroupsMatchReference(t *testing.T) {
	_, specs := tinyViT(t)
	raw, err := os.ReadFile(golden.Path(t, "train", "inputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in struct {
		Optimizer struct {
			WeightDecay float64 `json:"weight_decay"`
			ParamGroups []struct {
				WeightDecay float64  `json:"weight_decay"`
				Params      []string `json:"params"`
			} `json:"param_groups"`
		} `json:"optimizer"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	decay, noDecay := Groups(specs)
	for _, g := range in.Optimizer.ParamGroups {
		got := noDecay
		if g.WeightDecay != 0 {
			got = decay
		}
		want := slices.Clone(g.Params)
		slices.Sort(want)
		got = slices.Clone(got)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("group weight_decay %g: got %v, want %v", g.WeightDecay, got, want)
		}
	}
}

// TestOptimizerGoldenReplay applies the optimiser to the reference weights
// and the reference (stored) gradients and compares with the reference
// parameters after torch's AdamW step and the logit_scale clamp.
func TestOptimizerGoldenReplay(t *testing.T) {
	_, specs := tinyViT(t)
	weights := golden.ReadTensors(t, golden.Path(t, "tiny-vit", "open_clip_model.safetensors"))
	be := cpu.New(2)
	const lr = 0.0005
	for _, file := range []string{"tiny-vit_step.safetensors", "tiny-vit_clamp.safetensors"} {
		ref := golden.ReadTensors(t, golden.Path(t, "train", file))
		values := make([]compute.Tensor, len(specs))
		grads := make([]compute.Tensor, len(specs))
		host := make([][]float32, len(specs))
		var tokRows []int32
		for i, s := range specs {
			w, ok := weights[s.Name]
			if !ok || len(w.F32) != s.Numel() {
				t.Fatalf("%s: weights missing or of %d values, want %v", s.Name, len(w.F32), s.Shape)
			}
			host[i] = slices.Clone(w.F32)
			if s.Name == LogitScaleName {
				host[i][0] = ref["before.logit_scale"].F32[0] // the clamp file starts at ln 120
			}
			values[i] = cpu.FromSlice(host[i], s.Shape...)
			var g []float32
			if s.Name == "token_embedding.weight" {
				g = make([]float32, s.Numel())
				tokRows = ref["rows."+s.Name].I32
				gr := ref["grad_rows."+s.Name].F32
				width := s.Shape[1]
				for k, r := range tokRows {
					copy(g[int(r)*width:(int(r)+1)*width], gr[k*width:(k+1)*width])
				}
			} else if gt, ok := ref["grad."+s.Name]; ok {
				g = gt.F32
			} else {
				g = make([]float32, s.Numel()) // the compact clamp file: tensor not compared
			}
			grads[i] = cpu.FromSlice(slices.Clone(g), s.Shape...)
		}
		opt, err := NewOptimizer(be, DefaultAdamW(), specs, values, grads)
		if err != nil {
			t.Fatal(err)
		}
		opt.Step(lr)
		compared, worst := 0, 0.0
		for i, s := range specs {
			if s.Name == "token_embedding.weight" {
				width := s.Shape[1]
				before := weights[s.Name].F32
				after := ref["after_rows."+s.Name].F32
				var got, want []float32
				isRow := map[int32]bool{}
				for k, r := range tokRows {
					isRow[r] = true
					got = append(got, host[i][int(r)*width:(int(r)+1)*width]...)
					want = append(want, after[k*width:(k+1)*width]...)
				}
				d := golden.AssertRel(t, file+" "+s.Name+" rows", got, want, 1e-6)
				worst = max(worst, d.Rel())
				decay := float32(1 - float64(lr)*0.2)
				for r := range s.Shape[0] {
					if isRow[int32(r)] {
						continue
					}
					for k := range width {
						if w := before[r*width+k] * decay; host[i][r*width+k] != w {
							t.Fatalf("%s row %d [%d] = %v, want before·float32(1-lr·wd) = %v", s.Name, r, k, host[i][r*width+k], w)
						}
					}
				}
				compared++
				continue
			}
			want, ok := ref["after."+s.Name]
			if !ok {
				continue
			}
			d := golden.AssertRel(t, file+" "+s.Name, host[i], want.F32, 1e-6)
			worst = max(worst, d.Rel())
			compared++
		}
		ls := host[slices.IndexFunc(specs, func(s model.ParamSpec) bool { return s.Name == LogitScaleName })][0]
		t.Logf("%s: %d tensors compared, worst max|diff|/max|ref| = %.3g; logit_scale %.9g (ref %.9g)",
			file, compared, worst, ls, ref["after.logit_scale"].F32[0])
		if file == "tiny-vit_clamp.safetensors" && ls != LogitScaleMax {
			t.Errorf("logit_scale %v, want the clamp float32(ln 100) = %v", ls, LogitScaleMax)
		}
		if compared < 8 {
			t.Errorf("only %d tensors compared", compared)
		}
	}
}

func TestOptimizerSkipsBuffersAndChecksShapes(t *testing.T) {
	be := cpu.New(1)
	specs := []model.ParamSpec{
		{Name: "w", Shape: []int{2, 2}},
		{Name: "bn.running_mean", Shape: []int{2}, Buffer: true},
		{Name: "logit_scale"},
	}
	w, g := []float32{1, 2, 3, 4}, []float32{1, 1, 1, 1}
	ls, lg := []float32{5}, []float32{-1} // descending grad pushes it above the clamp
	opt, err := NewOptimizer(be, DefaultAdamW(), specs,
		[]compute.Tensor{cpu.FromSlice(w, 2, 2), {}, cpu.FromSlice(ls)},
		[]compute.Tensor{cpu.FromSlice(g, 2, 2), {}, cpu.FromSlice(lg)})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(opt.Params()); n != 2 {
		t.Fatalf("%d params, want 2", n)
	}
	opt.Step(1e-3)
	if ls[0] != LogitScaleMax {
		t.Errorf("logit_scale %v, want clamped to %v", ls[0], LogitScaleMax)
	}
	if opt.StepCount() != 1 || w[0] >= 1 {
		t.Errorf("step %d, w %v", opt.StepCount(), w)
	}
	if _, err := NewOptimizer(be, DefaultAdamW(), specs[:1], []compute.Tensor{cpu.FromSlice(w, 4)}, []compute.Tensor{cpu.FromSlice(g[:2], 2)}); err == nil {
		t.Error("mismatched gradient accepted")
	}
}
