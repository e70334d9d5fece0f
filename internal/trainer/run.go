package trainer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/data"
)

// Batches is where a run's global batches come from (data.Loader).
type Batches interface {
	Next() (*data.Batch, error)
}

// RunConfig is what the training loop needs beyond its devices and data.
type RunConfig struct {
	Dir       string // run folder: checkpoints/, metrics.jsonl
	BatchSize int    // global batch, split evenly over the devices
	Schedule  Schedule
	// SaveEvery > 0 writes a checkpoint every SaveEvery steps; one is
	// always written at the end and when the run is interrupted.
	SaveEvery int
	// KeepCheckpoints > 0 keeps only that many of the newest checkpoints.
	KeepCheckpoints int
	// EvalEvery > 0 calls Eval every EvalEvery steps and at the end.
	EvalEvery int
	Eval      func(ctx context.Context, step int, dev *Device) (map[string]float64, error)
	// OnStep is told of every step (metrics file, progress bar).
	OnStep func(StepRecord)
	// OnEval is told of every evaluation.
	OnEval func(EvalRecord)
	// OnCheckpoint is told of every checkpoint written (its folder).
	OnCheckpoint func(step int, dir string)
}

// StepRecord is one step's metrics line (metrics.jsonl).
type StepRecord struct {
	Step  int     `json:"step"` // 0-based index of the step
	Epoch int     `json:"epoch"`
	Loss  float64 `json:"loss"`
	LR    float64 `json:"lr"`
	// LogitScale is the raw parameter after the step and its clamp;
	// Scale is exp(logit_scale) as this step's loss used it.
	LogitScale float64 `json:"logit_scale"`
	Scale      float64 `json:"scale"`
	GradNorm   float64 `json:"grad_norm"`
	// SamplesPerS is the global batch over the step's wall time, and
	// DataWait the fraction of it spent waiting for the data loader.
	SamplesPerS float64 `json:"samples_per_s"`
	DataWait    float64 `json:"data_wait"`
	Skipped     int     `json:"skipped"` // unreadable samples so far
}

// EvalRecord is one evaluation's metrics line.
type EvalRecord struct {
	Step int                `json:"step"`
	Eval map[string]float64 `json:"eval"`
}

// ErrNonFinite is wrapped by the error of a step whose loss or gradient
// norm is NaN or infinite; the optimiser did not run.
var ErrNonFinite = errors.New("loss or gradient is not finite")

// Run trains devs (replicas with equal weights; devs[r] has rank r) from
// state st until cfg.Schedule.Steps steps are done, on batches from src
// (which must have been opened at st.Data; a batch may start later when
// unreadable samples used up the rest of an epoch). It checkpoints as cfg says
// and, when ctx is cancelled, writes a checkpoint of the last completed
// step and returns ctx's error. On a non-finite loss it stops without a
// checkpoint: the last one written stays the one to resume from.
func Run(ctx context.Context, cfg RunConfig, devs []*Device, src Batches, st State) (State, error) {
	d := len(devs)
	if d == 0 || cfg.BatchSize%d != 0 {
		return st, fmt.Errorf("train: global batch %d does not split over %d devices", cfg.BatchSize, d)
	}
	n := cfg.BatchSize / d
	arenas := make([]compute.Arena, d)
	for r, dev := range devs {
		arenas[r] = dev.Model.Backend().NewArena()
	}
	saved := -1
	save := func() error {
		if saved == st.Step {
			return nil
		}
		dir, err := SaveCheckpoint(cfg.Dir, devs[0], st, cfg.KeepCheckpoints)
		if err != nil {
			return err
		}
		saved = st.Step
		if cfg.OnCheckpoint != nil {
			cfg.OnCheckpoint(st.Step, dir)
		}
		return nil
	}
	evaluate := func() error {
		if cfg.Eval == nil {
			return nil
		}
		res, err := cfg.Eval(ctx, st.Step, devs[0])
		if err != nil {
			return fmt.Errorf("evaluation after step %d: %w", st.Step, err)
		}
		if cfg.OnEval != nil {
			cfg.OnEval(EvalRecord{Step: st.Step, Eval: res})
		}
		return nil
	}
	interrupted := func(cause error) (State, error) {
		if err := save(); err != nil {
			return st, errors.Join(cause, err)
		}
		return st, cause
	}
	for st.Step < cfg.Schedule.Steps {
		if err := ctx.Err(); err != nil {
			return interrupted(err)
		}
		start := time.Now()
		b, err := src.Next()
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx.Err())
			}
			return st, fmt.Errorf("train: data for step %d: %w", st.Step, err)
		}
		wait := time.Since(start)
		lr := cfg.Schedule.LR(st.Step)
		// A step always runs to its end (the devices' collectives are not
		// tied to ctx), so an interrupt never leaves replicas half-updated.
		res, err := stepDevices(devs, arenas, b, n, float32(lr))
		if err != nil {
			return st, fmt.Errorf("train: step %d: %w", st.Step, err)
		}
		elapsed := time.Since(start)
		rec := StepRecord{
			Step: st.Step, Epoch: b.Start.Epoch, Loss: float64(res.Loss), LR: lr,
			LogitScale: float64(readLogitScale(devs[0])), Scale: float64(res.LogitScale),
			GradNorm:    float64(res.GradNorm),
			SamplesPerS: float64(cfg.BatchSize) / elapsed.Seconds(),
			DataWait:    wait.Seconds() / elapsed.Seconds(),
		}
		st.Step++
		st.Data = b.Next
		st.Skipped += b.Skipped
		rec.Skipped = st.Skipped
		if cfg.OnStep != nil {
			cfg.OnStep(rec)
		}
		if cfg.SaveEvery > 0 && st.Step%cfg.SaveEvery == 0 {
			if err := save(); err != nil {
				return st, err
			}
		}
		if cfg.EvalEvery > 0 && st.Step%cfg.EvalEvery == 0 && st.Step < cfg.Schedule.Steps {
			if err := evaluate(); err != nil {
				return st, err
			}
		}
	}
	if err := save(); err != nil {
		return st, err
	}
	if cfg.EvalEvery > 0 {
		if err := evaluate(); err != nil {
			return st, err
		}
	}
	return st, nil
}

// stepDevices runs one data-parallel step: device r takes rows r·n ..
// r·n+n-1 of the global batch. If a device fails, the others' collectives
// are aborted so that none waits forever.
func stepDevices(devs []*Device, arenas []compute.Arena, b *data.Batch, n int, lr float32) (StepResult, error) {
	d := len(devs)
	results := make([]StepResult, d)
	errs := make([]error, d)
	var wg sync.WaitGroup
	for r := range devs {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			dev := devs[r]
			r0 := r * n
			px := len(b.Pixels) / len(b.Tokens)
			results[r], errs[r] = dev.Step(arenas[r], b.Pixels[r0*px:(r0+n)*px], n, b.Tokens[r0:r0+n], lr)
			if errs[r] != nil {
				if a, ok := dev.Comm.(interface{ Abort(error) }); ok {
					a.Abort(fmt.Errorf("device %d failed: %w", r, errs[r]))
				}
			}
		}(r)
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			if d > 1 {
				return StepResult{}, fmt.Errorf("device %d: %w", r, err)
			}
			return StepResult{}, err
		}
	}
	return results[0], nil
}

// readLogitScale reads the logit_scale parameter (after the step's clamp).
func readLogitScale(dev *Device) float32 {
	h := make([]float32, 1)
	dev.Model.Backend().Download(h, dev.Model.Params.Get(LogitScaleName))
	return h[0]
}

func finite(x float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
}
