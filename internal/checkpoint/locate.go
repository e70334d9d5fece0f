package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// preferredWeights are the file names tried first in a model folder, in
// order: OpenCLIP hub repositories often hold both, and their own config
// (open_clip_config.json) describes open_clip_model.safetensors.
var preferredWeights = []string{"open_clip_model.safetensors", "model.safetensors"}

// pickleExts are PyTorch formats this package deliberately does not read:
// unpickling is arbitrary code execution.
var pickleExts = []string{".bin", ".pt", ".pth", ".ckpt", ".pkl"}

const convertHint = "convert it to safetensors first, e.g. with Python: " +
	"safetensors.torch.save_file(torch.load(path, map_location='cpu'), 'model.safetensors')"

// findWeights resolves a model folder or file to the safetensors file to load.
func findWeights(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	if !st.IsDir() {
		if isPickle(path) {
			return "", fmt.Errorf("checkpoint %s: PyTorch pickle files are not supported; %s", path, convertHint)
		}
		return path, nil
	}
	for _, name := range preferredWeights {
		p := filepath.Join(path, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	var found, pickles []string
	sharded := false
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
		case strings.HasSuffix(name, ".safetensors"):
			found = append(found, name)
		case strings.HasSuffix(name, ".safetensors.index.json"):
			sharded = true
		case isPickle(name):
			pickles = append(pickles, name)
		}
	}
	sort.Strings(found)
	switch {
	case sharded:
		return "", fmt.Errorf("checkpoint %s: sharded safetensors (%s) are not supported; merge the shards into one model.safetensors",
			path, strings.Join(found, ", "))
	case len(found) == 1:
		return filepath.Join(path, found[0]), nil
	case len(found) > 1:
		return "", fmt.Errorf("checkpoint %s: several weight files and none named %s: %s; pass the file to load",
			path, strings.Join(preferredWeights, " or "), strings.Join(found, ", "))
	case len(pickles) > 0:
		return "", fmt.Errorf("checkpoint %s: only PyTorch pickle weights (%s), which are not supported; %s",
			path, strings.Join(pickles, ", "), convertHint)
	default:
		return "", fmt.Errorf("checkpoint %s: no .safetensors weights in the folder", path)
	}
}

func isPickle(name string) bool {
	for _, ext := range pickleExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
