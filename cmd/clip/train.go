package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/data"
	"github.com/clip-go/clip/internal/localcomm"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/pipeline"
	"github.com/clip-go/clip/internal/trainer"
)

// Training settings (flags, CLIP_* variables and config keys).
var (
	setTrainData   = setting{"train-data", kindPath, "", "training data: a CSV/TSV table of image paths and captions, a WebDataset .tar shard, or a brace pattern of shards (shards/{00000..00099}.tar)"}
	setPretrained  = setting{"pretrained", kindPath, "", "initial weights: a model folder or .safetensors file, OpenCLIP or Hugging Face layout (default: --model's weights when it is a checkpoint, else OpenAI's random initialisation)"}
	setSteps       = setting{"steps", kindInt, 0, "optimiser steps (0: --epochs passes over the data)"}
	setEpochs      = setting{"epochs", kindInt, 1, "passes over the data when --steps is 0"}
	setLR          = setting{"lr", kindFloat, 5e-4, "peak learning rate"}
	setWarmup      = setting{"warmup", kindInt, 10000, "linear warm-up steps before the cosine decay"}
	setWeightDecay = setting{"weight-decay", kindFloat, 0.2, "AdamW weight decay (not applied to biases, norms, 1-D tensors and logit_scale)"}
	setBeta1       = setting{"beta1", kindFloat, 0.9, "AdamW beta1"}
	setBeta2       = setting{"beta2", kindFloat, 0.98, "AdamW beta2"}
	setEps         = setting{"eps", kindFloat, 1e-6, "AdamW epsilon"}
	setGradClip    = setting{"grad-clip-norm", kindFloat, 0.0, "clip the gradient to this global L2 norm (0: no clipping)"}
	setSeed        = setting{"seed", kindInt, 0, "seed of the initial weights, data order and augmentation"}
	setDevices     = setting{"devices", kindInt, 1, "data-parallel devices (CPU devices share --threads)"}
	setRunDir      = setting{"run-dir", kindPath, "", "run folder for checkpoints, metrics.jsonl and config.yaml (default runs/<date>-<time>)"}
	setSaveEvery   = setting{"save-every", kindInt, 100, "steps between checkpoints (one is also written at the end and on interrupt)"}
	setKeep        = setting{"keep-checkpoints", kindInt, 3, "checkpoints kept, newest first (0: all)"}
	setLogEvery    = setting{"log-every", kindInt, 10, "steps between progress lines when stderr is not a terminal"}
	setEvalEvery   = setting{"eval-every", kindInt, 0, "steps between zero-shot evaluations on --eval-data (0: none)"}
	setEvalData    = setting{"eval-data", kindPath, "", "ImageFolder tree (one folder per class) for zero-shot evaluation during training"}
	setShuffle     = setting{"shuffle", kindBool, true, "shuffle the samples every epoch (seeded)"}
	setAugment     = setting{"augment", kindBool, true, "RandomResizedCrop(scale 0.9-1.0) augmentation; off: the inference resize and centre crop"}
	setWorkers     = setting{"workers", kindInt, 0, "image decoding goroutines (0: one per core)"}
	setStrictData  = setting{"strict-data", kindBool, false, "stop at the first unreadable sample instead of skipping it"}
)

// trainSettings are the settings of clip train, in --print-config order.
var trainSettings = []setting{
	setModel, setPretrained, setTokenizer, setTrainData, setCSVSeparator, setCSVImgKey, setCSVCaptionKey,
	setBatchSize, setSteps, setEpochs, setLR, setWarmup, setWeightDecay, setBeta1, setBeta2, setEps, setGradClip,
	setSeed, setDevices, setThreads, setWorkers, setShuffle, setAugment, setStrictData, setMaxPixels,
	setRunDir, setSaveEvery, setKeep, setLogEvery, setEvalEvery, setEvalData, setTemplates,
}

// trainOptions are the resolved inputs of clip train.
type trainOptions struct {
	resume string
	conf   *conf // the settings, for config.yaml

	model      any // path, or an inline OpenCLIP model config (map)
	pretrained string
	tokenizer  string
	data       string
	table      data.TableOptions

	batch, steps, epochs, warmup int
	adamW                        trainer.AdamWConfig
	lr, gradClip                 float64
	seed                         uint64
	devices, threads, workers    int
	shuffle, augment, strict     bool
	maxPixels                    int

	runDir                               string
	saveEvery, keep, logEvery, evalEvery int
	evalData, templates                  string
}

func newTrainCmd(a *app) *cobra.Command {
	o := &trainOptions{}
	cmd := &cobra.Command{
		Use:   "train --config FILE.yaml [--resume RUN_DIR] [--KEY VALUE]...",
		Short: "Train a CLIP model contrastively on image-caption pairs",
		Long: `Train runs OpenCLIP's recipe on the CPU: the symmetric contrastive loss over
the global batch, AdamW with OpenCLIP's parameter groups, a cosine schedule
with linear warm-up, and logit_scale clamped to ln 100. With --devices D the
global batch is split over D data-parallel devices whose features are
all-gathered (OpenCLIP's local loss with gather-with-grad); the result equals
one device on the whole batch.

The model is --model: an OpenCLIP model config inline in the config file
(embed_dim, quick_gelu, vision_cfg, text_cfg), an open_clip_config.json or
Hugging Face config.json, or a model folder / .safetensors file whose
weights are then the starting point. --pretrained sets the starting weights
explicitly; without either the model starts from OpenAI's initialisation.

Data (--train-data): a CSV or TSV table (columns --csv-img-key and
--csv-caption-key, default filepath and title; image paths relative to the
table), a WebDataset .tar shard or a brace pattern of shards. Unreadable
samples are skipped, counted and reported (--strict-data stops instead).
--shuffle=false --augment=false trains on the rows in file order: batch k is
rows k*B .. k*B+B-1.

The run folder (--run-dir) receives config.yaml (the resolved settings),
metrics.jsonl (one JSON line per step and per evaluation) and
checkpoints/step-NNNNNNNN folders: OpenCLIP-layout weights with
open_clip_config.json (load them with clip embed --model), the optimiser
state and the trainer state. Checkpoints are written atomically every
--save-every steps, at the end, and on Ctrl-C or SIGTERM (exit status 130).
clip train --resume RUN_DIR continues from the newest checkpoint with the
folder's config.yaml and logs exactly the losses an uninterrupted run would.
A NaN or infinite loss stops the run (exit status 1); the last checkpoint
stays intact.`,
		Example: `  clip train --config configs/mnist.yaml
  clip train --config configs/small.yaml --train-data data/train.csv --devices 2 --steps 500
  clip train --resume runs/mnist`,
		Args: noArgs,
	}
	run := a.command(func(cmd *cobra.Command, args []string) error {
		if err := o.load(&conf{a: a, cmd: cmd}); err != nil {
			return err
		}
		return a.runTrain(cmd.Context(), o)
	})
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		// --resume reads the run's own config.yaml unless another is
		// given; flags still override it.
		if o.resume != "" && a.configFile == "" && os.Getenv(envPrefix+"_CONFIG") == "" {
			path := filepath.Join(o.resume, runConfigFile)
			if _, err := os.Stat(path); err != nil {
				return usagef("--resume %s: not a run folder: %v", o.resume, err)
			}
			a.configFile = path
		}
		return run(cmd, args)
	}
	cmd.Flags().StringVar(&o.resume, "resume", "", "continue the run in this folder from its newest checkpoint")
	addSettings(cmd.Flags(), trainSettings...)
	return cmd
}

// load reads and checks the settings.
func (o *trainOptions) load(c *conf) error {
	o.conf = c
	o.model = c.a.v.Get("model")
	if s, ok := o.model.(string); ok {
		o.model = c.String("model")
		if s == "" {
			o.model = nil
		}
	}
	o.pretrained = c.String("pretrained")
	o.tokenizer = c.String("tokenizer")
	o.data = c.String("train-data")
	o.table = tableOptions(c)
	o.batch, o.steps, o.epochs, o.warmup = c.Int("batch-size"), c.Int("steps"), c.Int("epochs"), c.Int("warmup")
	o.lr, o.gradClip = c.Float("lr"), c.Float("grad-clip-norm")
	o.adamW = trainer.AdamWConfig{
		Beta1: float32(c.Float("beta1")), Beta2: float32(c.Float("beta2")),
		Eps: float32(c.Float("eps")), WeightDecay: float32(c.Float("weight-decay")),
	}
	seed := c.Int("seed")
	o.devices, o.threads, o.workers = c.Int("devices"), c.Int("threads"), c.Int("workers")
	o.shuffle, o.augment, o.strict = c.Bool("shuffle"), c.Bool("augment"), c.Bool("strict-data")
	o.maxPixels = c.Int("max-pixels")
	o.runDir = c.String("run-dir")
	o.saveEvery, o.keep, o.logEvery, o.evalEvery = c.Int("save-every"), c.Int("keep-checkpoints"), c.Int("log-every"), c.Int("eval-every")
	o.evalData, o.templates = c.String("eval-data"), c.TemplateSpec()
	if o.resume != "" {
		o.runDir = o.resume
	}
	for _, p := range []struct {
		key string
		v   int
		min int
	}{
		{"batch-size", o.batch, 1}, {"steps", o.steps, 0}, {"epochs", o.epochs, 1}, {"warmup", o.warmup, 0},
		{"seed", seed, 0}, {"devices", o.devices, 1}, {"threads", o.threads, 0}, {"workers", o.workers, 0},
		{"save-every", o.saveEvery, 0}, {"keep-checkpoints", o.keep, 0}, {"log-every", o.logEvery, 1}, {"eval-every", o.evalEvery, 0},
	} {
		if c.err == nil && p.v < p.min {
			c.fail(p.key, p.v, fmt.Sprintf("want %d or more", p.min))
		}
	}
	o.seed = uint64(seed)
	switch {
	case c.err != nil:
	case o.lr <= 0:
		c.fail("lr", o.lr, "want a positive learning rate")
	case o.adamW.Beta1 < 0 || o.adamW.Beta1 >= 1:
		c.fail("beta1", o.adamW.Beta1, "want 0 <= beta1 < 1")
	case o.adamW.Beta2 < 0 || o.adamW.Beta2 >= 1:
		c.fail("beta2", o.adamW.Beta2, "want 0 <= beta2 < 1")
	case o.adamW.Eps <= 0:
		c.fail("eps", o.adamW.Eps, "want a positive epsilon")
	case o.adamW.WeightDecay < 0:
		c.fail("weight-decay", o.adamW.WeightDecay, "want 0 or more")
	case o.gradClip < 0:
		c.fail("grad-clip-norm", o.gradClip, "want 0 (off) or a positive norm")
	case o.batch%o.devices != 0:
		c.fail("batch-size", o.batch, fmt.Sprintf("the global batch must split evenly over --devices %d", o.devices))
	case o.data == "":
		c.err = usagef("no training data: set train-data in the config file or pass --train-data (a CSV/TSV table or .tar shards)")
	case o.model == nil && o.pretrained == "":
		c.err = usagef("no model: set model (an OpenCLIP model config, a config .json or a model folder) or pretrained")
	case o.evalEvery > 0 && o.evalData == "":
		c.fail("eval-every", o.evalEvery, "needs --eval-data, an ImageFolder tree")
	}
	return c.err
}

// runConfigFile is the resolved configuration a run folder keeps.
const runConfigFile = "config.yaml"

func (a *app) runTrain(ctx context.Context, o *trainOptions) error {
	cfg, weights, from, closeWeights, err := resolveTrainModel(o)
	if err != nil {
		return err
	}
	defer closeWeights()
	if o.runDir == "" {
		o.runDir = filepath.Join("runs", time.Now().Format("20060102-150405"))
	}
	resuming := o.resume != ""
	done, err := trainer.ListCheckpoints(o.runDir)
	if err != nil {
		return err
	}
	switch {
	case resuming && len(done) == 0:
		return usagef("--resume %s: the run folder has no complete checkpoint to resume from", o.resume)
	case !resuming && len(done) > 0:
		return usagef("run folder %s already holds checkpoints: continue it with --resume %s, or choose another --run-dir", o.runDir, o.runDir)
	}
	if err := os.MkdirAll(o.runDir, 0o755); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	if err := trainer.RemoveStaleTemps(o.runDir); err != nil {
		return err
	}
	if err := writeRunConfig(filepath.Join(o.runDir, runConfigFile), o, cfg); err != nil {
		return err
	}

	tok, tokFrom, err := pipeline.LoadTokenizer(o.tokenizer, modelDirOf(o))
	if err != nil {
		return err
	}
	ds, err := data.Open(o.data, o.table)
	if err != nil {
		return usagef("train-data: %v", err)
	}
	if ds.Len() < o.batch {
		return usagef("train-data %s has %d samples, fewer than one batch of %d", o.data, ds.Len(), o.batch)
	}

	devs, err := newTrainDevices(cfg, o)
	if err != nil {
		return err
	}
	st := trainer.State{Seed: o.seed, Devices: o.devices, BatchSize: o.batch}
	if resuming {
		last := trainer.CheckpointDir(o.runDir, done[len(done)-1])
		if st, err = resumeDevices(last, devs, o); err != nil {
			return err
		}
		a.logf("train: resuming %s from %s (step %d)", o.runDir, last, st.Step)
	} else {
		for _, d := range devs {
			if err := d.Model.LoadFrom(weights); err != nil {
				return fmt.Errorf("initial weights (%s): %w", from, err)
			}
		}
	}
	closeWeights()

	ctxLen := cfg.Text.ContextLength
	var report *trainReport // set once the step count is known
	loader, err := data.NewLoader(ctx, ds, data.LoaderOptions{
		BatchSize: o.batch, ImageSize: cfg.Vision.ImageSize, Mean: cfg.Vision.Mean, Std: cfg.Vision.Std,
		Shuffle: o.shuffle, Augment: o.augment, Seed: o.seed, Workers: o.workers, MaxPixels: o.maxPixels,
		Tokenize: func(caption string) ([]int32, error) { return tok.Tokenize(caption, ctxLen), nil },
		Strict:   o.strict,
		OnSkip: func(s data.SkippedSample) {
			if report != nil {
				report.note("skipped %s: %v", s.Key, s.Err)
			} else {
				a.logf("train: skipped %s: %v", s.Key, s.Err)
			}
		},
	}, st.Data)
	if err != nil {
		return err
	}
	defer loader.Close()
	steps := o.steps
	if steps == 0 {
		steps = o.epochs * loader.BatchesPerEpoch()
	}
	if st.Step >= steps {
		a.logf("train: %s has already done its %d steps", o.runDir, steps)
		return nil
	}
	if o.warmup >= steps {
		a.logf("train: note: warmup %d >= steps %d, so the learning rate never decays", o.warmup, steps)
	}
	metrics, err := trainer.OpenMetrics(o.runDir, st.Step)
	if err != nil {
		return err
	}
	defer metrics.Close()

	a.logf("train: %s, %d samples from %s, tokenizer %s; weights %s", describeArch(cfg), ds.Len(), o.data, tokFrom, from)
	a.logf("train: %d steps of global batch %d on %d device(s), %d threads; run folder %s", steps, o.batch, o.devices, threadCount(o.threads), o.runDir)
	report = a.newTrainReport(steps, st.Step, o.logEvery)
	defer report.finish()
	var metricsErr error
	rc := trainer.RunConfig{
		Dir: o.runDir, BatchSize: o.batch,
		Schedule:  trainer.Schedule{BaseLR: o.lr, Warmup: o.warmup, Steps: steps},
		SaveEvery: o.saveEvery, KeepCheckpoints: o.keep, EvalEvery: o.evalEvery,
		OnStep: func(r trainer.StepRecord) {
			if err := metrics.Write(r); err != nil && metricsErr == nil {
				metricsErr = err
			}
			report.step(r)
			if a.afterStep != nil {
				a.afterStep(r)
			}
		},
		OnEval: func(r trainer.EvalRecord) {
			if err := metrics.Write(r); err != nil && metricsErr == nil {
				metricsErr = err
			}
			report.note("eval after step %d: %s", r.Step, formatEval(r.Eval))
		},
		OnCheckpoint: func(step int, dir string) { report.checkpoint(dir) },
	}
	if o.evalEvery > 0 {
		if rc.Eval, err = a.trainEval(o, tok, cfg); err != nil {
			return err
		}
	}
	st, err = trainer.Run(ctx, rc, devs, loader, st)
	report.finish()
	if skipped := loader.Skipped(); skipped > 0 {
		a.logf("train: %d unreadable samples skipped", skipped)
	}
	last := report.lastCheckpoint
	switch {
	case err == nil && metricsErr != nil:
		return metricsErr
	case err == nil:
		a.logf("train: done after %d steps; weights in %s (clip embed --model %s)", st.Step, last, last)
		return nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		if last != "" {
			a.logf("train: interrupted after step %d; checkpoint %s; continue with: clip train --resume %s", st.Step, last, o.runDir)
		}
		return err
	case errors.Is(err, trainer.ErrNonFinite):
		msg := "no checkpoint was written yet"
		if last != "" {
			msg = "the last checkpoint, " + last + ", is intact"
		}
		return fmt.Errorf("%w; stopped (%s): lower --lr, raise --warmup or set --grad-clip-norm", err, msg)
	default:
		return err
	}
}

// threadCount is the number of CPU goroutines --threads asks for.
func threadCount(t int) int {
	if t <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return t
}

// newTrainDevices builds the data-parallel replicas: one CPU backend each,
// the threads shared between them, with the in-process communicator. The
// collectives are not tied to the run's context: a step always finishes,
// so an interrupt leaves every replica at the same step.
func newTrainDevices(cfg model.Config, o *trainOptions) ([]*trainer.Device, error) {
	per := threadCount(o.threads) / o.devices
	if per < 1 {
		per = 1
	}
	backends := make([]compute.Backend, o.devices)
	for r := range backends {
		backends[r] = cpu.New(per)
	}
	var comms []compute.Comm
	if o.devices > 1 {
		comms = localcomm.New(backends)
	}
	devs := make([]*trainer.Device, o.devices)
	for r, be := range backends {
		m, err := model.New(cfg, be)
		if err != nil {
			return nil, usagef("model: %v", err)
		}
		opt, err := trainer.NewDeviceOptimizer(m, be.(trainer.Ops), o.adamW)
		if err != nil {
			return nil, usagef("model: %v", err)
		}
		devs[r] = &trainer.Device{Model: m, Opt: opt, MaxGradNorm: float32(o.gradClip)}
		if comms != nil {
			devs[r].Comm = comms[r]
		}
	}
	return devs, nil
}

// resumeDevices loads the checkpoint folder dir into every replica and
// returns its trainer state, refusing one from a different run setup.
func resumeDevices(dir string, devs []*trainer.Device, o *trainOptions) (trainer.State, error) {
	st, err := trainer.ReadState(dir)
	if err != nil {
		return st, err
	}
	if st.BatchSize != o.batch {
		return st, usagef("--resume: the run was trained with batch-size %d, not %d", st.BatchSize, o.batch)
	}
	if st.Seed != o.seed {
		return st, usagef("--resume: the run was trained with seed %d, not %d", st.Seed, o.seed)
	}
	for _, d := range devs {
		if err := trainer.LoadCheckpoint(dir, d); err != nil {
			return st, err
		}
	}
	st.Devices = o.devices
	return st, nil
}

// modelDirOf is the folder of the model or starting weights, where a
// tokenizer file may sit.
func modelDirOf(o *trainOptions) string {
	if o.pretrained != "" {
		return o.pretrained
	}
	if s, ok := o.model.(string); ok && !strings.EqualFold(filepath.Ext(s), ".json") {
		return s
	}
	return ""
}

func describeArch(c model.Config) string {
	act := "GELU"
	if c.QuickGELU {
		act = "QuickGELU"
	}
	return fmt.Sprintf("ViT image %d/%d width %d x%d, text width %d x%d, embed %d, %s",
		c.Vision.ImageSize, c.Vision.PatchSize, c.Vision.Width, c.Vision.Layers, c.Text.Width, c.Text.Layers, c.EmbedDim, act)
}
