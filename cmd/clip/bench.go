package main

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/bench"
	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/compute"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/trainer"
)

// benchLR is the learning rate of a timed training step (the cost does not
// depend on it; bench_torch_cpu.py uses the same).
const benchLR = 1e-5

// benchSeed seeds the random weights and inputs: every run times the same
// numbers.
const benchSeed = 1

// benchOptions are the inputs of clip bench. The measurement knobs are
// plain flags rather than settings: they describe one run, not a
// configuration a config file should carry.
type benchOptions struct {
	model   string
	threads int
	format  string
	what    string
	batch   int
	iters   int
	warmup  int
	textLen int // 0: the context length
	m, k, n int
}

// The bench variants of shared settings: same keys, bench's own help.
var (
	setBenchModel  = setting{setModel.key, setModel.kind, setModel.def, "architecture .json (OpenCLIP model config or HF config.json: random weights), model folder or .safetensors file (real weights)"}
	setBenchFormat = setting{setFormat.key, setFormat.kind, setFormat.def, "output format: json or table (auto: table on a terminal, json otherwise)"}
)

func newBenchCmd(a *app) *cobra.Command {
	o := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench --config configs/vit-b32.yaml --what image|text|train|gemm [--batch N] [--iters K] [--warmup W] [--threads T] [--text-len L] [--m M --k K --n N] [--format json|table]",
		Short: "Time the image tower, the text tower, a training step or one GEMM on the CPU",
		Long: `Bench times one workload on the CPU backend and prints one result:

  image  the image tower on --batch random images [B,3,R,R]
  text   the text tower on --batch token rows of --text-len real tokens
         (start token, random ids, end token at position L-1, zero padding
         to the context length; default L = the context length, 77)
  train  one full training step (one device) on --batch random images and
         --batch such token rows: both towers forward, the contrastive
         loss, backward, gradient norm, AdamW (lr 1e-5) and the logit_scale
         clamp; random weights and moments, as PyTorch's step in
         scripts/bench_torch_cpu.py --what train
  gemm   the backend's MatMulForward on out[M,N] = a[M,K]·W[N,K]ᵀ (the
         Linear layout) with random inputs; --batch does not apply

--model (or "model" in the --config file, relative to that file's folder)
names an architecture .json (an OpenCLIP model config such as
configs/arch/ViT-B-32.json, or a Hugging Face config.json), built with
deterministic random weights (normal, std 0.02; no download), or a model
folder or .safetensors file, whose real weights are loaded.

--warmup untimed iterations run first, then --iters timed ones; the median
and the fastest are reported. With --threads T > 0, Go's GOMAXPROCS is T
for the run, so that the runtime uses the same cores as T PyTorch threads.

gflops counts the matrix products of the work done (2 FLOPs per
multiply-add): patch embedding, q/k/v and output projections, MLP,
attention QKᵀ and AV (counted in full for causal attention), the final
projection, and every convolution of a ResNet; not norms, activations or
softmax. For text, clip runs the tower only up to the end-of-text position
(the causal mask makes later positions irrelevant), so it counts L
positions per text, where PyTorch computes and counts all 77: compare
texts/s for speed, and gflops for how well each uses the CPU. A training
step counts 3 × the forward FLOPs of both towers (backward = 2 × forward),
the text tower over L positions, the loss's batch×batch products not
counted.
scripts/bench_torch_cpu.py uses the same formulas.

Output (json, the default when standard output is not a terminal) is one
object per run:
  {"impl":"clip","what":"image","batch":32,"threads":2,"items_per_s":...,
   "ms_per_item":...,"gflops":...,"median_s":...,"min_s":...,
   "peak_rss_mb":...,...}
peak_rss_mb is the process's peak resident set size (getrusage) in MiB.`,
		Example: `  clip bench --config configs/vit-b32.yaml --what image --batch 32 --threads 2
  clip bench --config configs/vit-b32.yaml --what text --batch 32 --text-len 9
  clip bench --model configs/arch/small.json --what train --batch 64 --threads 2
  clip bench --what gemm --m 1600 --k 768 --n 2304 --threads 1 --format table`,
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("bench takes no arguments, got %q", args[0])
			}
			c := &conf{a: a, cmd: cmd}
			o.model = c.String("model")
			o.threads = c.Int("threads")
			o.format = c.String("format")
			if c.err == nil && o.threads < 0 {
				c.fail("threads", o.threads, "want 0 (one per core) or more")
			}
			switch o.format {
			case "auto", "json", "table":
			default:
				c.fail("format", o.format, "want json, table or auto")
			}
			if c.err != nil {
				return c.err
			}
			if err := o.check(cmd); err != nil {
				return err
			}
			return a.runBench(cmd, o)
		}),
	}
	f := cmd.Flags()
	addSettings(f, setBenchModel, setThreads, setBenchFormat)
	f.StringVar(&o.what, "what", "image", "workload: image, text, train or gemm")
	f.IntVar(&o.batch, "batch", 32, "images, texts or image-text pairs per call (image, text, train)")
	f.IntVar(&o.iters, "iters", 5, "timed iterations")
	f.IntVar(&o.warmup, "warmup", 1, "untimed iterations first")
	f.IntVar(&o.textLen, "text-len", 0, "real tokens per text, start and end tokens included (text, train; default: the context length)")
	f.IntVar(&o.m, "m", 1600, "GEMM rows of a and out (gemm)")
	f.IntVar(&o.k, "k", 768, "GEMM inner dimension (gemm)")
	f.IntVar(&o.n, "n", 2304, "GEMM rows of W, columns of out (gemm)")
	return cmd
}

// check validates the measurement flags; a flag that does not apply to
// --what is an error rather than silently ignored.
func (o *benchOptions) check(cmd *cobra.Command) error {
	changed := func(names ...string) string {
		for _, n := range names {
			if cmd.Flags().Changed(n) {
				return n
			}
		}
		return ""
	}
	switch o.what {
	case "image", "text", "train":
		if n := changed("m", "k", "n"); n != "" {
			return usagef("--%s applies to --what gemm only", n)
		}
		if o.what == "image" && changed("text-len") != "" {
			return usagef("--text-len applies to --what text and train only")
		}
	case "gemm":
		if n := changed("batch", "text-len"); n != "" {
			return usagef("--%s does not apply to --what gemm (give --m, --k and --n)", n)
		}
	default:
		return usagef("invalid value %q for --what: want image, text, train or gemm", o.what)
	}
	for _, p := range []struct {
		name string
		v    int
		min  int
	}{{"batch", o.batch, 1}, {"iters", o.iters, 1}, {"warmup", o.warmup, 0}, {"text-len", o.textLen, 0}, {"m", o.m, 1}, {"k", o.k, 1}, {"n", o.n, 1}} {
		if p.v < p.min {
			return usagef("invalid value %d for --%s: want %d or more", p.v, p.name, p.min)
		}
	}
	return nil
}

// benchResult is the one JSON object a run prints. Its first fields are
// those of scripts/bench_torch_cpu.py, so both are read alike.
type benchResult struct {
	Impl      string   `json:"impl"`
	What      string   `json:"what"`
	Batch     int      `json:"batch"`
	Threads   int      `json:"threads"`
	ItemsPerS float64  `json:"items_per_s"`
	MsPerItem float64  `json:"ms_per_item"`
	GFLOPS    float64  `json:"gflops"`
	MedianS   float64  `json:"median_s"`
	MinS      float64  `json:"min_s"`
	PeakRSSMB *float64 `json:"peak_rss_mb"` // null where not measured
	Iters     int      `json:"iters"`
	Warmup    int      `json:"warmup"`
	Model     string   `json:"model,omitempty"`
	Weights   string   `json:"weights,omitempty"`  // "random" or "checkpoint"
	TextLen   int      `json:"text_len,omitempty"` // positions computed per text
	M         int      `json:"m,omitempty"`
	K         int      `json:"k,omitempty"`
	N         int      `json:"n,omitempty"`
}

// workload is one thing to time: a step and the matmul FLOPs it does.
type workload struct {
	step  func() error
	flop  float64
	items int
}

func (a *app) runBench(cmd *cobra.Command, o *benchOptions) error {
	if o.threads > 0 {
		// Match PyTorch's thread count for the whole process: with spare
		// Ps the garbage collector and runtime would use cores a
		// T-thread PyTorch does not get.
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.threads))
	}
	be := cpu.New(o.threads)
	res := benchResult{Impl: "clip", What: o.what, Threads: be.Threads(), Iters: o.iters, Warmup: o.warmup}
	var w workload
	if o.what == "gemm" {
		w = gemmWorkload(be, o.m, o.k, o.n)
		res.M, res.K, res.N = o.m, o.k, o.n
		a.logf("bench: gemm %dx%dx%d (out[M,N] = a[M,K]·W[N,K]ᵀ), threads %d, %d warm-up + %d timed", o.m, o.k, o.n, res.Threads, o.warmup, o.iters)
	} else {
		m, weights, err := a.benchModel(o.model, be)
		if err != nil {
			return err
		}
		res.Model, res.Weights = o.model, weights
		if w, err = modelWorkload(m, o); err != nil {
			return err
		}
		if o.what != "image" {
			res.TextLen = o.textLen
		}
		if o.what == "train" {
			a.logf("bench: training step of %s (%s weights), batch %d, threads %d, %d warm-up + %d timed", o.model, weights, o.batch, res.Threads, o.warmup, o.iters)
		} else {
			a.logf("bench: %s tower of %s (%s weights), batch %d, threads %d, %d warm-up + %d timed", o.what, o.model, weights, o.batch, res.Threads, o.warmup, o.iters)
		}
	}
	st, err := bench.Measure(cmd.Context(), o.warmup, o.iters, w.step)
	if err != nil {
		return err
	}
	med := st.Median.Seconds()
	res.Batch = w.items
	res.MedianS, res.MinS = med, st.Min.Seconds()
	res.ItemsPerS = float64(w.items) / med
	res.MsPerItem = 1000 * med / float64(w.items)
	res.GFLOPS = w.flop / 1e9 / med
	if rss, ok := bench.PeakRSSMiB(); ok {
		res.PeakRSSMB = &rss
	}
	return a.writeBenchResult(o.format, res)
}

// benchModel builds the model named by path on be: random weights for an
// architecture .json, the checkpoint's weights otherwise.
func (a *app) benchModel(path string, be compute.Backend) (*model.CLIP, string, error) {
	if path == "" {
		return nil, "", usagef("no model given: pass --model (an architecture .json such as configs/arch/ViT-B-32.json for random weights, a model folder or a .safetensors file), set CLIP_MODEL, or use --config configs/vit-b32.yaml")
	}
	if err := checkModel(path); err != nil {
		return nil, "", err
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		cfg, err := checkpoint.LoadConfigFile(path)
		if err != nil {
			return nil, "", usagef("architecture: %v", err)
		}
		m, err := model.New(cfg, be)
		if err != nil {
			return nil, "", usagef("architecture %s: %v", path, err)
		}
		return m, "random", m.LoadFrom(bench.NewRandomWeights(m.Config, benchSeed))
	}
	// As pipeline.Open: weights stream from the file into the parameters,
	// so peak RSS is that of real use.
	ck, err := checkpoint.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("load model %s: %w", path, err)
	}
	defer ck.Close()
	m, err := model.New(ck.Config, be)
	if err != nil {
		return nil, "", fmt.Errorf("build model %s: %w", path, err)
	}
	if err := m.LoadFrom(ck); err != nil {
		return nil, "", fmt.Errorf("load weights %s: %w", ck.WeightsPath, err)
	}
	return m, "checkpoint", nil
}

// modelWorkload prepares random inputs for one tower of m, or for a
// training step.
func modelWorkload(m *model.CLIP, o *benchOptions) (workload, error) {
	cfg := m.Config
	if o.what == "train" {
		return trainWorkload(m, o)
	}
	if o.what == "image" {
		r := cfg.Vision.ImageSize
		px := bench.Pixels(o.batch, r, benchSeed)
		step := func() error { _, err := m.EncodeImages(px, o.batch); return err }
		return workload{step: step, flop: bench.ImageFLOP(cfg, o.batch), items: o.batch}, nil
	}
	rows, err := benchTokenRows(cfg, o)
	if err != nil {
		return workload{}, err
	}
	step := func() error { _, err := m.EncodeTexts(rows); return err }
	// The tower stops at the end-of-text position: textLen positions.
	return workload{step: step, flop: bench.TextFLOP(cfg, o.batch, o.textLen), items: o.batch}, nil
}

// benchTokenRows makes --batch random token rows of --text-len real tokens
// (default: the context length, which it records in o).
func benchTokenRows(cfg model.Config, o *benchOptions) ([][]int32, error) {
	ctxLen := cfg.Text.ContextLength
	if o.textLen == 0 {
		o.textLen = ctxLen
	}
	rows, err := bench.TokenRows(o.batch, ctxLen, o.textLen, cfg.Text.VocabSize, benchSeed)
	if err != nil {
		return nil, usagef("--text-len: %v", err)
	}
	return rows, nil
}

// trainWorkload is one training step of m on one device: random pixels and
// token rows of --text-len tokens, AdamW from zero moments.
func trainWorkload(m *model.CLIP, o *benchOptions) (workload, error) {
	cfg := m.Config
	rows, err := benchTokenRows(cfg, o)
	if err != nil {
		return workload{}, err
	}
	ops, ok := m.Backend().(trainer.Ops)
	if !ok {
		return workload{}, fmt.Errorf("bench: backend %s cannot train", m.Backend().Name())
	}
	opt, err := trainer.NewDeviceOptimizer(m, ops, trainer.DefaultAdamW())
	if err != nil {
		return workload{}, usagef("--what train: %v", err)
	}
	px := bench.Pixels(o.batch, cfg.Vision.ImageSize, benchSeed)
	dev := &trainer.Device{Model: m, Opt: opt}
	ar := m.Backend().NewArena()
	step := func() error { _, err := dev.Step(ar, px, o.batch, rows, benchLR); return err }
	// The text tower stops at the end-of-text position: textLen positions.
	return workload{step: step, flop: bench.TrainFLOP(cfg, o.batch, o.textLen), items: o.batch}, nil
}

// gemmWorkload times one MatMulForward in the Linear layout, no bias.
func gemmWorkload(be compute.Backend, m, k, n int) workload {
	ar := be.NewArena()
	x, wt, out := ar.Alloc(m, k), ar.Alloc(n, k), ar.Alloc(m, n)
	be.Upload(x, bench.Normal(m*k, benchSeed))
	be.Upload(wt, bench.Normal(n*k, benchSeed+1))
	return workload{
		step: func() error {
			be.MatMulForward(out, x, wt, compute.Tensor{}, true, compute.ActNone)
			return be.Sync()
		},
		flop:  bench.GEMMFLOP(m, k, n),
		items: 1,
	}
}

// writeBenchResult prints r as one JSON line, or as a table on request
// (auto: a table on a terminal, JSON when piped to a script).
func (a *app) writeBenchResult(format string, r benchResult) error {
	if format == "auto" {
		format = "json"
		if a.isTerminal(a.stdout) {
			format = "table"
		}
	}
	if format == "json" {
		b, err := marshalJSON(r)
		if err != nil {
			return fmt.Errorf("encode result: %w", err)
		}
		_, err = fmt.Fprintf(a.stdout, "%s\n", b)
		return err
	}
	workload := fmt.Sprintf("%dx%dx%d", r.M, r.K, r.N)
	if r.What != "gemm" {
		workload = filepath.Base(r.Model)
		if r.What != "image" {
			workload += fmt.Sprintf(" L=%d", r.TextLen)
		}
	}
	rss := "-"
	if r.PeakRSSMB != nil {
		rss = fmt.Sprintf("%.0f", *r.PeakRSSMB)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "impl\twhat\tworkload\tbatch\tthreads\titems/s\tms/item\tGFLOP/s\tmedian s\tmin s\tpeak RSS MiB\t")
	fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.3f\t%.2f\t%.1f\t%.4f\t%.4f\t%s\t\n",
		r.Impl, r.What, workload, r.Batch, r.Threads, r.ItemsPerS, r.MsPerItem, r.GFLOPS, r.MedianS, r.MinS, rss)
	return tw.Flush()
}
