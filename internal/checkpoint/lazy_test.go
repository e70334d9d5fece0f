package checkpoint

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

// countingReaderAt counts ReadAt calls and fails every call once failAfter
// calls have succeeded (failAfter < 0: never fails).
type countingReaderAt struct {
	r         *bytes.Reader
	reads     atomic.Int64
	failAfter int64
}

var errInjected = errors.New("injected read failure")

func (c *countingReaderAt) ReadAt(b []byte, off int64) (int, error) {
	if n := c.reads.Add(1); c.failAfter >= 0 && n > c.failAfter {
		return 0, errInjected
	}
	return c.r.ReadAt(b, off)
}

// openCounting opens the weights file at path as Open does, but through a
// reader that counts ReadAt calls from the moment the safetensors header
// has been parsed: what open then reads is tensor data. failAfter is as for
// countingReaderAt.
func openCounting(t *testing.T, path, configPath string, failAfter int64) (*Checkpoint, *countingReaderAt, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cr := &countingReaderAt{r: bytes.NewReader(b), failAfter: -1}
	f, err := safetensors.NewReader(cr, int64(len(b)), path)
	if err != nil {
		t.Fatal(err)
	}
	cr.reads.Store(0)
	cr.failAfter = failAfter
	ck, err := open(f, configPath)
	return ck, cr, err
}

// fileTensors reads every float32 tensor of a safetensors file directly,
// without this package: the reference the OpenCLIP layout must reproduce.
func fileTensors(t *testing.T, path string) map[string]model.HostTensor {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]model.HostTensor{}
	for _, n := range f.Names() {
		if dtype, _, _ := f.Info(n); dtype != safetensors.F32 {
			continue // num_batches_tracked
		}
		d, shape, err := f.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = model.HostTensor{Shape: shape, Data: d}
	}
	return out
}

// rounded returns tensors rounded through a 16-bit float format and back.
func rounded(in map[string]model.HostTensor, round func(float32) float32) map[string]model.HostTensor {
	out := map[string]model.HostTensor{}
	for name, ht := range in {
		d := make([]float32, len(ht.Data))
		for i, v := range ht.Data {
			d[i] = round(v)
		}
		out[name] = model.HostTensor{Shape: ht.Shape, Data: d}
	}
	return out
}

// TestReadTensorMatchesReference reads every tensor of every golden layout
// lazily, in a random order, into destinations full of NaNs, and checks
// each equals, bit for bit, both an independent reference (the OpenCLIP
// file read by safetensors alone, or its rounding to F16/BF16) and what the
// eager Load returns.
func TestReadTensorMatchesReference(t *testing.T) {
	vit := fileTensors(t, golden.Path(t, "tiny-vit", "open_clip_model.safetensors"))
	rn := fileTensors(t, golden.Path(t, "tiny-rn", "open_clip_model.safetensors"))
	refs := map[string]map[string]model.HostTensor{
		"tiny-vit":    vit,
		"tiny-vit/hf": vit,
		"tiny-rn":     rn,
	}
	paths := map[string]string{
		"tiny-vit":    golden.Path(t, "tiny-vit"),
		"tiny-vit/hf": golden.Path(t, "tiny-vit", "hf"),
		"tiny-rn":     golden.Path(t, "tiny-rn"),
	}
	// Half-precision copies of tiny-vit, as TestHalfPrecision writes them.
	for _, c := range []struct {
		dtype string
		round func(float32) float32
	}{
		{safetensors.F16, func(v float32) float32 { return safetensors.Float16ToFloat32(safetensors.Float32ToFloat16(v)) }},
		{safetensors.BF16, func(v float32) float32 { return safetensors.BFloat16ToFloat32(safetensors.Float32ToBFloat16(v)) }},
	} {
		var ts []safetensors.Tensor
		for name, ht := range vit {
			ts = append(ts, safetensors.Tensor{Name: name, DType: c.dtype, Shape: ht.Shape, Data: ht.Data})
		}
		name := "tiny-vit/" + c.dtype
		paths[name] = writeModel(t, t.TempDir(), "open_clip_model.safetensors", ts, golden.Path(t, "tiny-vit", openCLIPConfigFile))
		refs[name] = rounded(vit, c.round)
	}
	// Random HF weights: q, k and v are distinct, unlike a zero-initialised
	// model's, so stacking them in the wrong order cannot go unnoticed.
	random := randomTensors(goldenConfig(t, "tiny-vit"), 5)
	paths["random/hf"] = writeModel(t, t.TempDir(), "model.safetensors", toHF(t, random), golden.Path(t, "tiny-vit", "hf", hfConfigFile))
	refs["random/hf"] = random

	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			want := refs[name]
			eager, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			ck, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer ck.Close()
			if ck.Tensors != nil {
				t.Errorf("Open filled Tensors")
			}
			if ck.Config.EmbedDim != eager.Config.EmbedDim || ck.Layout != eager.Layout || ck.ConfigSource != eager.ConfigSource {
				t.Errorf("Open: config %+v layout %s from %s; Load: %+v %s from %s",
					ck.Config, ck.Layout, ck.ConfigSource, eager.Config, eager.Layout, eager.ConfigSource)
			}
			table := model.ParamTable(ck.Config)
			if len(table) != len(want) {
				t.Fatalf("table has %d tensors, reference %d", len(table), len(want))
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for _, i := range rng.Perm(len(table)) {
				p := table[i]
				w := want[p.Name]
				shape, ok := ck.Shape(p.Name)
				if !ok || !model.SameShape(shape, p.Shape) {
					t.Errorf("%s: Shape %v, %v; want %v", p.Name, shape, ok, p.Shape)
				}
				dst := make([]float32, p.Numel())
				for j := range dst {
					dst[j] = float32(math.NaN())
				}
				if err := ck.ReadTensor(p.Name, dst); err != nil {
					t.Fatal(err)
				}
				if !sameBits(dst, w.Data) {
					t.Errorf("%s: lazy read differs from the reference", p.Name)
				}
				if !sameBits(dst, eager.Tensors[p.Name].Data) {
					t.Errorf("%s: lazy read differs from Load", p.Name)
				}
			}
		})
	}
}

// TestReadTensorErrors: a bad name, a wrong destination, a closed
// checkpoint and a failing read are errors naming the file and the tensor.
func TestReadTensorErrors(t *testing.T) {
	path := golden.Path(t, "tiny-vit", "open_clip_model.safetensors")
	ck, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, ck.ReadTensor("visual.nope", make([]float32, 1)), path, `no tensor "visual.nope"`)
	wantError(t, ck.ReadTensor("ln_final.weight", make([]float32, 31)), path, `"ln_final.weight" has shape [32], destination holds 31 values`)
	if _, ok := ck.Shape("visual.nope"); ok {
		t.Error("Shape of an unknown tensor")
	}
	if err := ck.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ck.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	wantError(t, ck.ReadTensor("ln_final.weight", make([]float32, 32)), path, `"ln_final.weight"`, "closed")

	// A read that fails: OpenCLIP names pass the file's error through; HF
	// ones add the OpenCLIP name to the file key.
	ck, _, err = openCounting(t, path, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	err = ck.ReadTensor("ln_final.weight", make([]float32, 32))
	wantError(t, err, path, `reading tensor "ln_final.weight"`, errInjected.Error())
	if !errors.Is(err, errInjected) {
		t.Errorf("error %v does not wrap the cause", err)
	}
	hf := golden.Path(t, "tiny-vit", "hf", "model.safetensors")
	ck, _, err = openCounting(t, hf, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	err = ck.ReadTensor("transformer.resblocks.0.attn.in_proj_weight", make([]float32, 3*32*32))
	wantError(t, err, hf, "transformer.resblocks.0.attn.in_proj_weight (from text_model.encoder.layers.0.self_attn.q_proj.weight + ",
		`reading tensor "text_model.encoder.layers.0.self_attn.k_proj.weight"`, errInjected.Error())
}

// TestOpenReadsNoData: opening a checkpoint, valid or not, with a config
// file or an inferred architecture, reads no tensor data; reading a tensor
// does.
func TestOpenReadsNoData(t *testing.T) {
	cfg := model.Config{EmbedDim: 16, QuickGELU: true,
		Text:   model.TextConfig{ContextLength: 7, VocabSize: 50, Width: 64, Heads: 1, Layers: 2},
		Vision: model.VisionConfig{ImageSize: 24, Layers: 2, Width: 64, PatchSize: 4, HeadWidth: 64}}.WithDefaults()
	inferred := writeModel(t, t.TempDir(), "model.safetensors", toHF(t, randomTensors(cfg, 2)))
	for _, path := range []string{
		golden.Path(t, "tiny-vit", "open_clip_model.safetensors"),
		golden.Path(t, "tiny-vit", "hf", "model.safetensors"),
		golden.Path(t, "tiny-rn", "open_clip_model.safetensors"),
		filepath.Join(inferred, "model.safetensors"),
	} {
		ck, cr, err := openCounting(t, path, "", -1)
		if err != nil {
			t.Fatal(err)
		}
		if n := cr.reads.Load(); n != 0 {
			t.Errorf("%s: open made %d reads", path, n)
		}
		if err := ck.ReadTensor("ln_final.bias", make([]float32, ck.Config.Text.Width)); err != nil {
			t.Fatal(err)
		}
		if cr.reads.Load() == 0 {
			t.Errorf("%s: ReadTensor read nothing", path)
		}
	}
	// The failing cases are TestLoadRejects': see checkNoDataRead.
}

// checkNoDataRead opens the weights at path through a counting reader and
// checks that open fails with the same error as Load, having read no tensor
// data.
func checkNoDataRead(t *testing.T, path string, loadErr error) {
	t.Helper()
	_, cr, err := openCounting(t, path, "", -1)
	if err == nil || err.Error() != loadErr.Error() {
		t.Errorf("open: %v\nLoad: %v", err, loadErr)
	}
	if n := cr.reads.Load(); n != 0 {
		t.Errorf("open made %d reads of tensor data before failing", n)
	}
}
