package checkpoint

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

// rawTensors reads every tensor of a safetensors file as raw bytes, keeping
// its dtype, so tests can rewrite a golden file with edits.
func rawTensors(t *testing.T, path string) []safetensors.Tensor {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []safetensors.Tensor
	for _, name := range f.Names() {
		dtype, shape, _ := f.Info(name)
		b, err := f.Bytes(name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, safetensors.Tensor{Name: name, DType: dtype, Shape: shape, Data: b})
	}
	return out
}

// writeModel writes tensors as dir/name and copies the given config files
// (paths) into dir. It returns dir.
func writeModel(t *testing.T, dir, name string, tensors []safetensors.Tensor, configs ...string) string {
	t.Helper()
	if err := safetensors.Write(filepath.Join(dir, name), tensors, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range configs {
		copyFile(t, c, filepath.Join(dir, filepath.Base(c)))
	}
	return dir
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// edit returns tensors with fn applied: fn returns the replacement and
// whether to keep the tensor.
func edit(ts []safetensors.Tensor, fn func(t safetensors.Tensor) (safetensors.Tensor, bool)) []safetensors.Tensor {
	var out []safetensors.Tensor
	for _, t := range ts {
		if r, keep := fn(t); keep {
			out = append(out, r)
		}
	}
	return out
}

// goldenConfig loads a golden model's OpenCLIP config.
func goldenConfig(t *testing.T, name string) model.Config {
	t.Helper()
	c, err := model.LoadOpenCLIPConfig(golden.Path(t, name, openCLIPConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// randomTensors fills every tensor of cfg's table with seeded noise.
func randomTensors(cfg model.Config, seed uint64) map[string]model.HostTensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := map[string]model.HostTensor{}
	for _, p := range model.ParamTable(cfg) {
		d := make([]float32, p.Numel())
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
		out[p.Name] = model.HostTensor{Shape: shapeOf(p.Shape), Data: d}
	}
	return out
}

// toHF converts OpenCLIP tensors to HF CLIPModel names, splitting in_proj
// into q, k and v and transposing the projections, as transformers'
// convert_clip_original_pytorch_to_hf.py does.
func toHF(t *testing.T, tensors map[string]model.HostTensor) []safetensors.Tensor {
	t.Helper()
	fixed := map[string]string{}
	for hf, m := range hfFixed {
		fixed[m.name] = hf
	}
	block := map[string]string{}
	for hf, oc := range hfBlock {
		block[oc] = hf
	}
	var out []safetensors.Tensor
	add := func(name string, shape []int, data []float32) {
		out = append(out, safetensors.Tensor{Name: name, DType: safetensors.F32, Shape: shape, Data: data})
	}
	for name, ht := range tensors {
		if hf, ok := fixed[name]; ok {
			if name == "visual.proj" || name == "text_projection" {
				r, c := ht.Shape[0], ht.Shape[1]
				tr := make([]float32, len(ht.Data))
				transpose(tr, ht.Data, r, c)
				add(hf, []int{c, r}, tr)
			} else {
				add(hf, ht.Shape, ht.Data)
			}
			continue
		}
		converted := false
		for _, tower := range hfTowers {
			rest, ok := strings.CutPrefix(name, tower.openclip)
			if !ok {
				continue
			}
			idx, leaf, _ := strings.Cut(rest, ".")
			prefix := tower.hf + idx + "."
			if kind, ok := strings.CutPrefix(leaf, "attn.in_proj_"); ok {
				n := len(ht.Data) / 3
				shape := append([]int{ht.Shape[0] / 3}, ht.Shape[1:]...)
				for i, proj := range hfQKV {
					add(prefix+"self_attn."+proj+"."+kind, shape, ht.Data[i*n:(i+1)*n])
				}
			} else {
				add(prefix+block[leaf], ht.Shape, ht.Data)
			}
			converted = true
		}
		if !converted {
			t.Fatalf("toHF: no HF name for %s", name)
		}
	}
	return out
}

// sameBits reports whether two float32 slices are bitwise equal.
func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// assertTensors checks that got holds exactly want's tensors, bit for bit.
func assertTensors(t *testing.T, got, want map[string]model.HostTensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d tensors, want %d", len(got), len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s missing", name)
		case !reflect.DeepEqual(g.Shape, w.Shape):
			t.Errorf("%s: shape %v, want %v", name, g.Shape, w.Shape)
		case !sameBits(g.Data, w.Data):
			t.Errorf("%s: data differs", name)
		}
	}
}

// wantError fails unless err is non-nil and contains every fragment.
func wantError(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", fragments)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q\ndoes not contain %q", err, f)
		}
	}
}
