package trainer

import (
	"fmt"
	"math"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/model"
)

// LogitScaleName is the parameter clamped after every step.
const LogitScaleName = "logit_scale"

// LogitScaleMax is OpenCLIP's clamp of logit_scale, float32(ln 100): the
// temperature never exceeds 100.
var LogitScaleMax = float32(math.Log(100))

// AdamWConfig holds AdamW's hyperparameters; the learning rate comes per
// step from the schedule.
type AdamWConfig struct {
	Beta1, Beta2, Eps float32
	// WeightDecay applies to the parameters whose spec Decays(); the others
	// (1-D tensors, biases, norms, logit_scale) get none.
	WeightDecay float32
}

// DefaultAdamW is OpenCLIP's default for CLIP training: betas (0.9, 0.98),
// eps 1e-6, weight decay 0.2.
func DefaultAdamW() AdamWConfig {
	return AdamWConfig{Beta1: 0.9, Beta2: 0.98, Eps: 1e-6, WeightDecay: 0.2}
}

// Ops are the backend operations the optimiser uses (compute.Backend with
// its TrainOps).
type Ops interface {
	NewArena() compute.Arena
	Zero(t compute.Tensor)
	AdamW(p, g, m, v compute.Tensor, lr, beta1, beta2, eps, weightDecay float32, step int)
	Clamp(x compute.Tensor, lo, hi float32)
}

// Param is one trained tensor with its gradient and AdamW moments.
type Param struct {
	Spec        model.ParamSpec
	Value, Grad compute.Tensor
	// M and V are AdamW's exp_avg and exp_avg_sq (checkpointed with the
	// model to resume exactly).
	M, V        compute.Tensor
	WeightDecay float32
}

// Optimizer is PyTorch's AdamW over OpenCLIP's two parameter groups,
// followed by the logit_scale clamp to [0, ln 100].
type Optimizer struct {
	ops    Ops
	cfg    AdamWConfig
	params []Param
	step   int
	arena  compute.Arena
}

// Groups splits the trained tensors of specs into OpenCLIP's weight-decay
// groups, in table order (buffers are in neither).
func Groups(specs []model.ParamSpec) (decay, noDecay []string) {
	for _, s := range specs {
		switch {
		case s.Buffer:
		case s.Decays():
			decay = append(decay, s.Name)
		default:
			noDecay = append(noDecay, s.Name)
		}
	}
	return decay, noDecay
}

// NewOptimizer builds the optimiser for the tensors of specs (typically
// model.ParamTable), values[i] and grads[i] being spec i's parameter and
// gradient. Buffers (BatchNorm statistics) are skipped; their entries may be
// nil tensors. The moments are allocated from a fresh arena of ops and
// zeroed.
func NewOptimizer(ops Ops, cfg AdamWConfig, specs []model.ParamSpec, values, grads []compute.Tensor) (*Optimizer, error) {
	if len(values) != len(specs) || len(grads) != len(specs) {
		return nil, fmt.Errorf("trainer: %d specs, %d values, %d grads", len(specs), len(values), len(grads))
	}
	o := &Optimizer{ops: ops, cfg: cfg, arena: ops.NewArena()}
	for i, s := range specs {
		if s.Buffer {
			continue
		}
		v, g := values[i], grads[i]
		if v.IsNil() || g.IsNil() || v.Numel() != s.Numel() || g.Numel() != s.Numel() {
			return nil, fmt.Errorf("trainer: %s: value %v, grad %v, want %v", s.Name, v, g, s.Shape)
		}
		p := Param{Spec: s, Value: v, Grad: g, M: o.arena.Alloc(s.Shape...), V: o.arena.Alloc(s.Shape...)}
		if len(s.Shape) == 0 { // a scalar (logit_scale) still needs a 1-element moment
			p.M, p.V = o.arena.Alloc(1), o.arena.Alloc(1)
		}
		ops.Zero(p.M)
		ops.Zero(p.V)
		if s.Decays() {
			p.WeightDecay = cfg.WeightDecay
		}
		o.params = append(o.params, p)
	}
	return o, nil
}

// Params lists the trained tensors with their moments, in table order.
func (o *Optimizer) Params() []Param { return o.params }

// StepCount is the number of steps taken (PyTorch's state "step").
func (o *Optimizer) StepCount() int { return o.step }

// SetStepCount restores the step counter when resuming (moments are restored
// into Params()[i].M and .V by the caller).
func (o *Optimizer) SetStepCount(n int) { o.step = n }

// Step applies one AdamW step with learning rate lr to every parameter from
// its gradient, then clamps logit_scale to [0, ln 100] as OpenCLIP does
// after optimizer.step().
func (o *Optimizer) Step(lr float32) {
	o.step++
	for _, p := range o.params {
		m, v := p.M, p.V
		val, g := p.Value, p.Grad
		if len(p.Spec.Shape) == 0 {
			val, g = val.Reshape(1), g.Reshape(1)
		}
		o.ops.AdamW(val, g, m, v, lr, o.cfg.Beta1, o.cfg.Beta2, o.cfg.Eps, p.WeightDecay, o.step)
		if p.Spec.Name == LogitScaleName {
			o.ops.Clamp(p.Value, 0, LogitScaleMax)
		}
	}
}
