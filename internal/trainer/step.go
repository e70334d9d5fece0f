package trainer

import (
	"fmt"
	"math"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/model"
)

// ClipEps is added to the gradient norm in the clipping coefficient, as in
// torch.nn.utils.clip_grad_norm_.
const ClipEps = 1e-6

// Device is one device of data-parallel training: its replica of the model,
// its communicator (nil for a single device), the backend's training ops and
// the optimiser over the model's parameters (nil: Step computes the
// gradients and stops there).
type Device struct {
	Model *model.CLIP
	Comm  compute.Comm
	// Ops are the model backend's training ops; nil: the backend's own.
	Ops compute.TrainOps
	Opt *Optimizer
	// MaxGradNorm > 0 clips the gradient to this global L2 norm before the
	// optimiser step (OpenCLIP's --grad-clip-norm); 0 does not clip.
	MaxGradNorm float32
	// KeepFeatures makes Step download this device's unnormalised features
	// into StepResult (for tests; it costs a device-to-host copy).
	KeepFeatures bool
}

// StepResult is what one training step leaves on the host. Loss and DScale
// are global: averaged over the devices.
type StepResult struct {
	Loss float32
	// GradNorm is the global L2 norm of the averaged gradient, before
	// clipping.
	GradNorm float32
	// LogitScale is exp(logit_scale) as used by this step's loss (before
	// the optimiser changes it), the figure OpenCLIP logs as "scale".
	LogitScale float32
	// DScale is d loss / d exp(logit_scale).
	DScale float32
	// ImageFeatures and TextFeatures are this device's unnormalised
	// features [n,E], with KeepFeatures only.
	ImageFeatures, TextFeatures []float32
}

// Step is one data-parallel training step of this device on its n samples
// (pixels [n,3,R,R], n token rows) out of a global batch of D·n, with every
// device calling Step together:
//
//  1. zero the gradients, ForwardTrain both towers into arena a (reset
//     first), L2-normalise the features;
//  2. AllGather the normalised features, ContrastiveLoss over this device's
//     rows (rowOffset = rank·n) against the gathered columns;
//  3. the all-gather's backward: this device's rows of the column gradients
//     summed over devices (ReduceScatterSum) added to the local ones;
//     L2NormalizeBackward, Backward through both towers, and d loss /
//     d logit_scale = dScale·scale added to logit_scale's gradient;
//  4. AllReduceMean of the whole gradient arena in one call (and of loss and
//     dScale), so that every replica holds the gradient of the global loss;
//  5. the global gradient norm sqrt(Σ g²) over every gradient, and with
//     MaxGradNorm > 0 clip_grad_norm_: all gradients scaled by MaxGradNorm/(norm+1e-6) when
//     that factor is below 1;
//  6. with Opt, the AdamW step at learning rate lr and the logit_scale
//     clamp; a NaN or infinite loss or gradient norm is an error wrapping
//     ErrNonFinite instead, and the parameters stay as they were.
//
// The arena holds the step's activations and temporaries until the next
// reset.
func (d *Device) Step(a compute.Arena, pixels []float32, n int, tokens [][]int32, lr float32) (StepResult, error) {
	m := d.Model
	be := m.Backend()
	ops := d.Ops
	if ops == nil {
		var ok bool
		if ops, ok = be.(compute.TrainOps); !ok {
			return StepResult{}, fmt.Errorf("train step: backend %s has no training ops", be.Name())
		}
	}
	comm := d.Comm
	if err := m.ZeroGrads(); err != nil {
		return StepResult{}, err
	}
	a.Reset()
	img, txt, err := m.ForwardTrain(a, pixels, n, tokens)
	if err != nil {
		return StepResult{}, err
	}
	e := img.Dim(1)
	size, rank := 1, 0
	if comm != nil {
		size, rank = comm.Size(), comm.Rank()
	}
	imgN, txtN := a.Alloc(n, e), a.Alloc(n, e)
	be.L2NormalizeForward(imgN, img)
	be.L2NormalizeForward(txtN, txt)
	allImg, allTxt := imgN, txtN
	if comm != nil {
		allImg, allTxt = a.Alloc(size*n, e), a.Alloc(size*n, e)
		if err := comm.AllGather(allImg, imgN); err != nil {
			return StepResult{}, err
		}
		if err := comm.AllGather(allTxt, txtN); err != nil {
			return StepResult{}, err
		}
	}
	scale := m.LogitScale()
	loss, dScale := a.Alloc(1), a.Alloc(1)
	dImgN, dTxtN := a.Alloc(n, e), a.Alloc(n, e)
	dAllImg, dAllTxt := a.Alloc(size*n, e), a.Alloc(size*n, e)
	ops.ContrastiveLoss(loss, dImgN, dTxtN, dAllImg, dAllTxt, dScale, imgN, txtN, allImg, allTxt, scale, rank*n, 0)
	// The gathered features' gradient: each device's own rows, summed over
	// devices (the all-gather's backward).
	for _, p := range [][2]compute.Tensor{{dImgN, dAllImg}, {dTxtN, dAllTxt}} {
		own := p[1]
		if comm != nil {
			own = a.Alloc(n, e)
			if err := comm.ReduceScatterSum(own, p[1]); err != nil {
				return StepResult{}, err
			}
		}
		be.AddForward(p[0], p[0], own)
	}
	dImg, dTxt := a.Alloc(n, e), a.Alloc(n, e)
	ops.L2NormalizeBackward(dImg, dImgN, img)
	ops.L2NormalizeBackward(dTxt, dTxtN, txt)
	if err := m.Backward(dImg, dTxt); err != nil {
		return StepResult{}, err
	}
	// d loss/d logit_scale = d loss/d s · s, s = exp(logit_scale).
	gs := m.Grads.Get(LogitScaleName)
	tmp := a.Alloc(1)
	be.ScaleForward(tmp, dScale, scale)
	be.AddForward(gs, gs, tmp)
	if comm != nil {
		for _, t := range []compute.Tensor{m.Grads.All, loss, dScale} {
			if err := comm.AllReduceMean(t); err != nil {
				return StepResult{}, err
			}
		}
	}
	r := StepResult{LogitScale: scale}
	if d.KeepFeatures {
		r.ImageFeatures, r.TextFeatures = make([]float32, n*e), make([]float32, n*e)
		be.Download(r.ImageFeatures, img)
		be.Download(r.TextFeatures, txt)
	}
	host := make([]float32, 2)
	be.Download(host[:1], loss)
	be.Download(host[1:], dScale)
	r.Loss, r.DScale = host[0], host[1]
	sq := a.Alloc(1)
	ops.SumSquares(sq, m.Grads.All)
	be.Download(host[:1], sq)
	norm := math.Sqrt(float64(host[0]))
	r.GradNorm = float32(norm)
	if !finite(r.Loss) || !finite(r.GradNorm) {
		// Stop before the optimiser spoils the weights.
		return r, fmt.Errorf("%w: loss %v, gradient norm %v", ErrNonFinite, r.Loss, r.GradNorm)
	}
	if d.MaxGradNorm > 0 {
		if c := float64(d.MaxGradNorm) / (norm + ClipEps); c < 1 {
			be.ScaleForward(m.Grads.All, m.Grads.All, float32(c))
		}
	}
	if d.Opt != nil {
		d.Opt.Step(lr)
	}
	return r, be.Sync()
}

// NewDeviceOptimizer builds the AdamW optimiser over every parameter of m
// and its gradient (allocated here if need be).
func NewDeviceOptimizer(m *model.CLIP, ops Ops, cfg AdamWConfig) (*Optimizer, error) {
	if _, err := m.NewGrads(); err != nil {
		return nil, err
	}
	specs := m.Params.Specs
	values, grads := make([]compute.Tensor, len(specs)), make([]compute.Tensor, len(specs))
	for i, s := range specs {
		if s.Buffer {
			continue
		}
		values[i], grads[i] = m.Params.Get(s.Name), m.Grads.Get(s.Name)
	}
	return NewOptimizer(ops, cfg, specs, values, grads)
}
