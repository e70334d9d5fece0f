package checkpoint

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/clip-go/clip/internal/atomicfile"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

// WriteOpenCLIP writes a model folder that Load (and OpenCLIP's hub loader)
// reads back: dir/open_clip_model.safetensors with every tensor of
// model.ParamTable(cfg) in float32 under its OpenCLIP name, and
// dir/open_clip_config.json holding {"model_cfg": ..., "preprocess_cfg":
// {"mean": ..., "std": ...}}. Both files are written atomically; a missing
// or mis-shaped tensor is an error naming it.
func WriteOpenCLIP(dir string, cfg model.Config, tensors map[string]model.HostTensor) error {
	cfg = cfg.WithDefaults() // never write a zero mean or std
	table := model.ParamTable(cfg)
	out := make([]safetensors.Tensor, 0, len(table))
	for _, p := range table {
		t, ok := tensors[p.Name]
		if !ok {
			return fmt.Errorf("checkpoint: write %s: missing tensor %s", dir, p.Name)
		}
		if !model.SameShape(t.Shape, p.Shape) || len(t.Data) != p.Numel() {
			return fmt.Errorf("checkpoint: write %s: tensor %s has shape %v (%d values), want %v",
				dir, p.Name, t.Shape, len(t.Data), shapeOf(p.Shape))
		}
		out = append(out, safetensors.Tensor{Name: p.Name, DType: safetensors.F32, Shape: shapeOf(p.Shape), Data: t.Data})
	}
	js, err := MarshalOpenCLIPConfig(cfg)
	if err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", dir, err)
	}
	err = safetensors.Write(filepath.Join(dir, "open_clip_model.safetensors"), out, map[string]string{"format": "pt"})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, openCLIPConfigFile), 0o644, func(w io.Writer) error {
		_, err := w.Write(js)
		return err
	}); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", dir, err)
	}
	return nil
}

// MarshalOpenCLIPConfig renders cfg as an open_clip_config.json file
// ({"model_cfg": ..., "preprocess_cfg": {"mean": ..., "std": ...}}, newline
// terminated), which LoadConfigFile and OpenCLIP read back.
func MarshalOpenCLIPConfig(cfg model.Config) ([]byte, error) {
	cfg = cfg.WithDefaults()
	hub := struct {
		ModelCfg      model.Config `json:"model_cfg"`
		PreprocessCfg struct {
			Mean [3]float32 `json:"mean"`
			Std  [3]float32 `json:"std"`
		} `json:"preprocess_cfg"`
	}{ModelCfg: cfg}
	hub.PreprocessCfg.Mean, hub.PreprocessCfg.Std = cfg.Vision.Mean, cfg.Vision.Std
	js, err := json.MarshalIndent(hub, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(js, '\n'), nil
}
