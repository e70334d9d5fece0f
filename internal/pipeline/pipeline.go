// Package pipeline is the glue between the command line (and later the
// trainer and evaluators) and the model: it opens a checkpoint with its
// tokenizer on a backend, embeds images and texts in batches, and builds
// zero-shot classifiers. It reads no flags, environment or config files.
package pipeline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/imageproc"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/tokenizer"
)

// Encoder is what the pipeline needs from a model; *model.CLIP implements
// it. Tests substitute fakes.
type Encoder interface {
	// EncodeImages maps pixels [n,3,R,R] to unnormalised features [n,E].
	EncodeImages(pixels []float32, n int) ([]float32, error)
	// EncodeTexts maps token rows to unnormalised features [n,E].
	EncodeTexts(tokens [][]int32) ([]float32, error)
	// LogitScale is exp(logit_scale).
	LogitScale() float32
}

// TextTokenizer turns a text into one row of token ids
// (clip.tokenize(text, contextLength, truncate=True)); *tokenizer.Tokenizer
// implements it.
type TextTokenizer interface {
	Tokenize(text string, contextLength int) []int32
}

// Options configures Open.
type Options struct {
	// Backend runs the model. Required.
	Backend compute.Backend
	// TokenizerPath overrides the tokenizer: bpe_simple_vocab_16e6.txt.gz
	// (gzip or plain) or vocab.json with merges.txt beside it. Empty: the
	// model folder's tokenizer files, else the built-in vocabulary.
	TokenizerPath string
	// MaxPixels refuses larger images (decompression bombs); <= 0 means
	// imageproc.DefaultMaxPixels.
	MaxPixels int
	// Logf, if set, receives one-line notes for the user: which tokenizer
	// was used and whether the architecture was inferred from tensor shapes.
	Logf func(format string, args ...any)
}

// Model is an opened CLIP model with its tokenizer and image loader.
type Model struct {
	Config    model.Config
	Encoder   Encoder
	Tokenizer TextTokenizer
	// LoadImage decodes and preprocesses one image file into float32
	// [3,R,R], R = Config.Vision.ImageSize. It must be safe for concurrent
	// use: EmbedImages calls it from several goroutines.
	LoadImage func(path string) ([]float32, error)

	WeightsPath     string // the .safetensors file the weights came from
	ConfigSource    string // the config file, or "inferred from tensor shapes"
	TokenizerSource string // where the tokenizer came from, for logs
}

// Open loads a model folder (or .safetensors file), its tokenizer, and the
// weights onto opts.Backend. The weights stream from the file into the
// model's parameters one tensor at a time, so loading never holds a second
// copy of the model in host memory.
func Open(path string, opts Options) (*Model, error) {
	if opts.Backend == nil {
		return nil, fmt.Errorf("pipeline.Open %s: no backend", path)
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ck, err := checkpoint.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	// Only reads remain once the weights are loaded, so a Close error says
	// nothing about the model.
	defer ck.Close()
	noteInferred(ck, logf)
	tok, src, err := LoadTokenizer(opts.TokenizerPath, ck.Dir)
	if err != nil {
		return nil, err
	}
	logf("tokenizer: %s", src)
	m, err := model.New(ck.Config, opts.Backend)
	if err != nil {
		return nil, fmt.Errorf("build model %s: %w", path, err)
	}
	if err := m.LoadFrom(ck); err != nil {
		return nil, fmt.Errorf("load weights %s: %w", ck.WeightsPath, err)
	}
	cfg := ck.Config
	return &Model{
		Config:          cfg,
		Encoder:         m,
		Tokenizer:       tok,
		LoadImage:       ImageLoader(cfg.Vision.ImageSize, cfg.Vision.Mean, cfg.Vision.Std, opts.MaxPixels),
		WeightsPath:     ck.WeightsPath,
		ConfigSource:    ck.ConfigSource,
		TokenizerSource: src,
	}, nil
}

// noteInferred tells the user when no config file described the weights:
// the architecture was then guessed from tensor shapes, which is worth
// knowing when results look wrong.
func noteInferred(ck *checkpoint.Checkpoint, logf func(string, ...any)) {
	if ck.ConfigSource == checkpoint.InferredConfig {
		logf("%s: no config file beside the weights; architecture %s", ck.WeightsPath, checkpoint.InferredConfig)
	}
}

// LoadTokenizer picks the tokenizer: path if given, else the tokenizer files
// found in modelDir (if any), else the built-in vocabulary. It returns a
// description of the choice for logs.
func LoadTokenizer(path, modelDir string) (*tokenizer.Tokenizer, string, error) {
	if path != "" {
		t, err := tokenizer.LoadFile(path)
		if err != nil {
			return nil, "", fmt.Errorf("load tokenizer %s: %w", path, err)
		}
		return t, path, nil
	}
	if modelDir != "" {
		if st, err := os.Stat(modelDir); err == nil && !st.IsDir() {
			modelDir = filepath.Dir(modelDir)
		}
		if found := tokenizer.Find(modelDir); found != "" {
			t, err := tokenizer.LoadFile(found)
			if err != nil {
				return nil, "", fmt.Errorf("load tokenizer %s: %w", found, err)
			}
			return t, found, nil
		}
	}
	t, err := tokenizer.Default()
	if err != nil {
		return nil, "", fmt.Errorf("load built-in tokenizer: %w", err)
	}
	return t, "built-in (OpenAI bpe_simple_vocab_16e6)", nil
}

// ImageLoader returns a LoadImage function: decode with imageproc (refusing
// images over maxPixels; <= 0 means the default) and preprocess to
// [3,size,size] as OpenAI's _transform.
func ImageLoader(size int, mean, std [3]float32, maxPixels int) func(path string) ([]float32, error) {
	if maxPixels <= 0 {
		maxPixels = imageproc.DefaultMaxPixels
	}
	return func(path string) ([]float32, error) {
		img, err := imageproc.DecodeFile(path, maxPixels)
		if err != nil {
			return nil, err
		}
		return imageproc.Preprocess(img, size, mean, std), nil
	}
}
