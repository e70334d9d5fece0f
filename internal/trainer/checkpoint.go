package trainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/clip-go/clip/internal/atomicfile"
	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/data"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

// A checkpoint is one folder RUN_DIR/checkpoints/step-NNNNNNNN holding
//
//	open_clip_model.safetensors  the weights, OpenCLIP key names (F32)
//	open_clip_config.json        the architecture, so OpenCLIP and `clip
//	                             embed --model` load the folder directly
//	optimizer.safetensors        AdamW's moments: "exp_avg.<name>",
//	                             "exp_avg_sq.<name>"
//	trainer_state.json           State: steps done, data position, seed
//
// It is written into a temporary folder beside it and renamed into place,
// so a crash (even kill -9) leaves either the whole checkpoint or none.
const (
	checkpointsDir     = "checkpoints"
	optimizerFile      = "optimizer.safetensors"
	stateFile          = "trainer_state.json"
	stateFormatVersion = 1
)

// State is the trainer's position, saved with every checkpoint: with the
// weights and moments it determines the rest of the run exactly (the data
// order and augmentation are functions of Seed and the data position).
type State struct {
	Version int `json:"version"`
	// Step is the number of optimiser steps done; the next step is Step.
	Step int `json:"step"`
	// Data is where the next batch starts.
	Data data.Position `json:"data"`
	// Seed is the run's seed (data order, augmentation, initial weights).
	Seed uint64 `json:"seed"`
	// Skipped counts the samples skipped so far as unreadable.
	Skipped int `json:"skipped"`
	// BatchSize is recorded to refuse a resume that would not continue the
	// same run; Devices is for the record (a resume may change it: the
	// result equals one device's within float32 rounding).
	Devices   int `json:"devices"`
	BatchSize int `json:"batch_size"`
}

var stepDirRE = regexp.MustCompile(`^step-(\d+)$`)

// CheckpointDir is the folder of the checkpoint after step steps.
func CheckpointDir(runDir string, step int) string {
	return filepath.Join(runDir, checkpointsDir, fmt.Sprintf("step-%08d", step))
}

// ListCheckpoints returns the complete checkpoints of runDir (those with a
// trainer state), oldest first, as step counts.
func ListCheckpoints(runDir string) ([]int, error) {
	ents, err := os.ReadDir(filepath.Join(runDir, checkpointsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	var steps []int
	for _, e := range ents {
		m := stepDirRE.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(runDir, checkpointsDir, e.Name(), stateFile)); err != nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		steps = append(steps, n)
	}
	sort.Ints(steps)
	return steps, nil
}

// RemoveStaleTemps deletes the temporary folders a killed run left behind
// while writing a checkpoint (never complete: the rename did not happen).
// Only the process that owns runDir may call it.
func RemoveStaleTemps(runDir string) error {
	dir := filepath.Join(runDir, checkpointsDir)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("checkpoints: %w", err)
			}
		}
	}
	return nil
}

// SaveCheckpoint writes the checkpoint of dev's model and optimiser (one
// replica: all replicas are equal) with state st, then removes all but the
// newest keep checkpoints (keep <= 0 keeps all). It returns the folder.
func SaveCheckpoint(runDir string, dev *Device, st State, keep int) (string, error) {
	final := CheckpointDir(runDir, st.Step)
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".tmp-"+filepath.Base(final)+"-")
	if err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := writeCheckpointFiles(tmp, dev, st); err != nil {
		return "", fmt.Errorf("save checkpoint %s: %w", final, err)
	}
	// A checkpoint of the same step (a run resumed and stopped again
	// before saving anew) is replaced: move it aside first, because a
	// folder cannot be renamed over a non-empty one.
	if _, err := os.Stat(final); err == nil {
		old := tmp + ".old"
		if err := os.Rename(final, old); err != nil {
			return "", fmt.Errorf("save checkpoint: %w", err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	if err := syncDir(parent); err != nil {
		return "", fmt.Errorf("save checkpoint: %w", err)
	}
	return final, pruneCheckpoints(runDir, keep)
}

func writeCheckpointFiles(dir string, dev *Device, st State) error {
	m := dev.Model
	be := m.Backend()
	weights := map[string]model.HostTensor{}
	for _, s := range m.Params.Specs {
		weights[s.Name] = model.HostTensor{Shape: s.Shape, Data: download(be, m.Params.Get(s.Name))}
	}
	if err := checkpoint.WriteOpenCLIP(dir, m.Config, weights); err != nil {
		return err
	}
	if dev.Opt != nil {
		var ts []safetensors.Tensor
		for _, p := range dev.Opt.Params() {
			shape := p.Spec.Dims()
			ts = append(ts,
				safetensors.Tensor{Name: "exp_avg." + p.Spec.Name, DType: safetensors.F32, Shape: shape, Data: download(be, p.M)},
				safetensors.Tensor{Name: "exp_avg_sq." + p.Spec.Name, DType: safetensors.F32, Shape: shape, Data: download(be, p.V)})
		}
		meta := map[string]string{"step": strconv.Itoa(dev.Opt.StepCount())}
		if err := safetensors.Write(filepath.Join(dir, optimizerFile), ts, meta); err != nil {
			return err
		}
	}
	st.Version = stateFormatVersion
	js, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	// The state goes last: a folder with it is complete.
	return atomicfile.WriteFile(filepath.Join(dir, stateFile), 0o644, func(w io.Writer) error {
		_, err := w.Write(append(js, '\n'))
		return err
	})
}

func download(be compute.Backend, t compute.Tensor) []float32 {
	host := make([]float32, t.Numel())
	be.Download(host, t)
	return host
}

// pruneCheckpoints removes all but the newest keep checkpoints.
func pruneCheckpoints(runDir string, keep int) error {
	if keep <= 0 {
		return nil
	}
	steps, err := ListCheckpoints(runDir)
	if err != nil {
		return err
	}
	for len(steps) > keep {
		if err := os.RemoveAll(CheckpointDir(runDir, steps[0])); err != nil {
			return fmt.Errorf("remove old checkpoint: %w", err)
		}
		steps = steps[1:]
	}
	return nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ReadState reads the trainer state of the checkpoint folder dir.
func ReadState(dir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return st, fmt.Errorf("read trainer state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("read trainer state %s: %w", filepath.Join(dir, stateFile), err)
	}
	if st.Version != stateFormatVersion {
		return st, fmt.Errorf("read trainer state %s: format version %d, want %d", filepath.Join(dir, stateFile), st.Version, stateFormatVersion)
	}
	return st, nil
}

// LoadCheckpoint restores dev's weights and AdamW moments and step count
// from the checkpoint folder dir.
func LoadCheckpoint(dir string, dev *Device) error {
	ck, err := checkpoint.Open(filepath.Join(dir, "open_clip_model.safetensors"))
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	defer ck.Close()
	if err := dev.Model.LoadFrom(ck); err != nil {
		return fmt.Errorf("resume: weights %s: %w", ck.WeightsPath, err)
	}
	if dev.Opt == nil {
		return nil
	}
	path := filepath.Join(dir, optimizerFile)
	f, err := safetensors.Open(path)
	if err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	defer f.Close()
	step, err := strconv.Atoi(f.Metadata()["step"])
	if err != nil {
		return fmt.Errorf("resume: %s: metadata \"step\" is not a step count", path)
	}
	be := dev.Model.Backend()
	for _, p := range dev.Opt.Params() {
		for _, mv := range []struct {
			key string
			t   compute.Tensor
		}{{"exp_avg." + p.Spec.Name, p.M}, {"exp_avg_sq." + p.Spec.Name, p.V}} {
			if err := be.Fill(mv.t, func(host []float32) error { return f.ReadFloat32Into(mv.key, host) }); err != nil {
				return fmt.Errorf("resume: %s: %w", path, err)
			}
		}
	}
	dev.Opt.SetStepCount(step)
	return be.Sync()
}
