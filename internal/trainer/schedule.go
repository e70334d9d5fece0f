// Package trainer is the training loop: the data-parallel step over devices
// (Device.Step), the loop that feeds it batches and checkpoints it (Run),
// the AdamW optimiser over the model's parameter table with OpenCLIP's
// groups, the learning-rate schedule, checkpoints that resume exactly and
// the metrics log. It reaches devices only through internal/compute.
package trainer

import "math"

// Schedule is OpenCLIP's cosine_lr (open_clip_train/scheduler.py): a linear
// warmup to BaseLR over Warmup steps, then a half cosine down to 0 at Steps.
type Schedule struct {
	BaseLR float64
	Warmup int
	Steps  int
}

// LR is the learning rate of step (0-based):
//
//	step < Warmup: BaseLR·(step+1)/Warmup
//	otherwise:     0.5·(1 + cos(π·(step-Warmup)/(Steps-Warmup)))·BaseLR
//
// evaluated in float64 in OpenCLIP's order. When Steps <= Warmup there is
// no decay phase and the rate stays at BaseLR after the warmup (OpenCLIP
// would divide by zero).
func (s Schedule) LR(step int) float64 {
	if step < s.Warmup {
		return s.BaseLR * float64(step+1) / float64(s.Warmup)
	}
	es := s.Steps - s.Warmup
	if es <= 0 {
		return s.BaseLR
	}
	e := step - s.Warmup
	return 0.5 * (1 + math.Cos(math.Pi*float64(e)/float64(es))) * s.BaseLR
}
