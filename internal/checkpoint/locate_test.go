package checkpoint

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestFindWeights(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		pick  string   // the file chosen, or
		want  []string // fragments of the error
	}{
		{"empty folder", nil, "", []string{"no .safetensors weights in the folder"}},
		{"pickle only", []string{"pytorch_model.bin", "config.json"}, "", []string{"only PyTorch pickle weights (pytorch_model.bin)", "convert it to safetensors"}},
		{"ambiguous", []string{"a.safetensors", "b.safetensors"}, "", []string{"several weight files", "a.safetensors, b.safetensors"}},
		{"sharded", []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"}, "", []string{"sharded safetensors"}},
		{"open_clip first", []string{"model.safetensors", "open_clip_model.safetensors"}, "open_clip_model.safetensors", nil},
		{"model.safetensors", []string{"model.safetensors", "other.safetensors", "pytorch_model.bin"}, "model.safetensors", nil},
		{"single other name", []string{"ViT-B-32.safetensors", "pytorch_model.bin"}, "ViT-B-32.safetensors", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range c.files {
				if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := findWeights(dir)
			if c.pick != "" {
				if err != nil || got != filepath.Join(dir, c.pick) {
					t.Errorf("picked %q, %v; want %s", got, err, c.pick)
				}
				return
			}
			wantError(t, err, append(c.want, dir)...)
		})
	}
}

func TestFindWeightsPaths(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "model.pt")
	if err := os.WriteFile(bin, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bin)
	wantError(t, err, bin, "PyTorch pickle files are not supported")
	_, err = Load(filepath.Join(dir, "absent"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
}
