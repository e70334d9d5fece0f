package main

import (
	"errors"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/pipeline"
)

// modelOptions are the settings of every command that runs the model.
type modelOptions struct {
	model     string
	tokenizer string
	threads   int
	maxPixels int
}

func addModelFlags(f *pflag.FlagSet) {
	addSettings(f, setModel, setTokenizer, setThreads, setMaxPixels)
}

func (o *modelOptions) load(c *conf) {
	o.model = c.String("model")
	o.tokenizer = c.String("tokenizer")
	o.threads = c.Int("threads")
	o.maxPixels = c.Int("max-pixels")
	if c.err != nil {
		return
	}
	switch {
	case o.threads < 0:
		c.fail("threads", o.threads, "want 0 (one per core) or more")
	case o.maxPixels <= 0:
		c.fail("max-pixels", o.maxPixels, "want a positive number of pixels")
	}
}

// missingModelHelp says what a model folder holds and where to get one.
const missingModelHelp = `no model given: pass --model DIR, set CLIP_MODEL, or set "model" in the --config file.
A model folder holds safetensors weights and their config, for example the
files model.safetensors, config.json, vocab.json and merges.txt of the Hugging
Face repository openai/clip-vit-base-patch32, or an OpenCLIP folder with
open_clip_model.safetensors and open_clip_config.json`

// checkModel turns a missing or absent model path into a usage error, so
// that a typo is not reported as a broken checkpoint.
func checkModel(path string) error {
	if path == "" {
		return usageError{errors.New(missingModelHelp)}
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return usagef("model %s: no such file or folder", path)
	}
	return nil
}

// openModel loads the model on the CPU backend.
func (a *app) openModel(o modelOptions) (*pipeline.Model, error) {
	if err := checkModel(o.model); err != nil {
		return nil, err
	}
	if o.tokenizer != "" {
		if _, err := os.Stat(o.tokenizer); err != nil {
			return nil, usagef("tokenizer: %v", err)
		}
	}
	m, err := a.open(o.model, pipeline.Options{
		Backend:       cpu.New(o.threads),
		TokenizerPath: o.tokenizer,
		MaxPixels:     o.maxPixels,
		Logf:          a.logf,
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}
