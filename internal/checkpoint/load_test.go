package checkpoint

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

func TestLoadGolden(t *testing.T) {
	cases := []struct {
		name    string
		path    []string // under the golden folder
		model   string   // whose open_clip_config.json describes it
		layout  string
		weights string
		config  string
	}{
		{"tiny-vit folder", []string{"tiny-vit"}, "tiny-vit", LayoutOpenCLIP, "tiny-vit/open_clip_model.safetensors", "tiny-vit/open_clip_config.json"},
		{"tiny-vit file", []string{"tiny-vit", "open_clip_model.safetensors"}, "tiny-vit", LayoutOpenCLIP, "tiny-vit/open_clip_model.safetensors", "tiny-vit/open_clip_config.json"},
		{"tiny-vit hf", []string{"tiny-vit", "hf"}, "tiny-vit", LayoutHF, "tiny-vit/hf/model.safetensors", "tiny-vit/hf/config.json"},
		{"tiny-rn", []string{"tiny-rn"}, "tiny-rn", LayoutOpenCLIP, "tiny-rn/open_clip_model.safetensors", "tiny-rn/open_clip_config.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ck, err := Load(golden.Path(t, c.path...))
			if err != nil {
				t.Fatal(err)
			}
			want := goldenConfig(t, c.model)
			if !reflect.DeepEqual(ck.Config, want) {
				t.Errorf("config\n%+v\nwant\n%+v", ck.Config, want)
			}
			if ck.Layout != c.layout || ck.WeightsPath != golden.Path(t, c.weights) ||
				ck.ConfigSource != golden.Path(t, c.config) || ck.Dir != filepath.Dir(golden.Path(t, c.weights)) {
				t.Errorf("layout %s, weights %s, config %s, dir %s", ck.Layout, ck.WeightsPath, ck.ConfigSource, ck.Dir)
			}
			table := model.ParamTable(want)
			if len(ck.Tensors) != len(table) {
				t.Errorf("%d tensors, the table has %d", len(ck.Tensors), len(table))
			}
			for _, p := range table {
				ht, ok := ck.Tensors[p.Name]
				if !ok || !model.SameShape(ht.Shape, p.Shape) || len(ht.Data) != p.Numel() {
					t.Errorf("%s: present %v, shape %v, %d values; want %v", p.Name, ok, ht.Shape, len(ht.Data), p.Shape)
				}
			}
		})
	}
}

// TestOpenCLIPTensorsAreTheFile checks the OpenCLIP layout is read
// unchanged, BatchNorm running statistics included.
func TestOpenCLIPTensorsAreTheFile(t *testing.T) {
	for _, name := range []string{"tiny-vit", "tiny-rn"} {
		path := golden.Path(t, name, "open_clip_model.safetensors")
		ck, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]model.HostTensor{}
		for _, n := range f.Names() {
			if dtype, _, _ := f.Info(n); dtype != safetensors.F32 {
				continue // num_batches_tracked
			}
			d, shape, err := f.Float32(n)
			if err != nil {
				t.Fatal(err)
			}
			want[n] = model.HostTensor{Shape: shape, Data: d}
		}
		f.Close()
		assertTensors(t, ck.Tensors, want)
	}
}

// TestHFEqualsOpenCLIP: the HF copy of tiny-vit, converted back, equals the
// OpenCLIP file bit for bit under every name.
func TestHFEqualsOpenCLIP(t *testing.T) {
	oc, err := Load(golden.Path(t, "tiny-vit"))
	if err != nil {
		t.Fatal(err)
	}
	hf, err := Load(golden.Path(t, "tiny-vit", "hf"))
	if err != nil {
		t.Fatal(err)
	}
	assertTensors(t, hf.Tensors, oc.Tensors)
	if !reflect.DeepEqual(hf.Config, oc.Config) {
		t.Errorf("HF config %+v, OpenCLIP config %+v", hf.Config, oc.Config)
	}
}

// TestSyntheticHF converts random OpenCLIP weights to HF names and back.
func TestSyntheticHF(t *testing.T) {
	cfg := goldenConfig(t, "tiny-vit")
	want := randomTensors(cfg, 3)
	dir := writeModel(t, t.TempDir(), "model.safetensors", toHF(t, want), golden.Path(t, "tiny-vit", "hf", hfConfigFile))
	ck, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	assertTensors(t, ck.Tensors, want)
}

func TestWriteOpenCLIPRoundTrip(t *testing.T) {
	for _, name := range []string{"tiny-vit", "tiny-rn"} {
		src, err := Load(golden.Path(t, name))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := WriteOpenCLIP(dir, src.Config, src.Tensors); err != nil {
			t.Fatal(err)
		}
		back, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Config, src.Config) || back.ConfigSource != filepath.Join(dir, openCLIPConfigFile) {
			t.Errorf("%s: config %+v from %s, want %+v", name, back.Config, back.ConfigSource, src.Config)
		}
		assertTensors(t, back.Tensors, src.Tensors)
	}
}

func TestWriteOpenCLIPRejects(t *testing.T) {
	cfg := goldenConfig(t, "tiny-vit")
	ts := randomTensors(cfg, 1)
	delete(ts, "ln_final.bias")
	wantError(t, WriteOpenCLIP(t.TempDir(), cfg, ts), "missing tensor ln_final.bias")
	ts = randomTensors(cfg, 1)
	ts["ln_final.bias"] = model.HostTensor{Shape: []int{3}, Data: make([]float32, 3)}
	wantError(t, WriteOpenCLIP(t.TempDir(), cfg, ts), "ln_final.bias has shape [3] (3 values), want [32]")
}

// TestHalfPrecision stores tiny-vit as F16, BF16 and F64: every value loads
// as float32 equal to the stored value, i.e. within the format's rounding of
// the original.
func TestHalfPrecision(t *testing.T) {
	want, err := Load(golden.Path(t, "tiny-vit"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		dtype string
		round func(float32) float32
		rel   float64 // half an ulp, relative
	}{
		{safetensors.F16, func(v float32) float32 { return safetensors.Float16ToFloat32(safetensors.Float32ToFloat16(v)) }, 0x1p-11},
		{safetensors.BF16, func(v float32) float32 { return safetensors.BFloat16ToFloat32(safetensors.Float32ToBFloat16(v)) }, 0x1p-8},
		{safetensors.F64, func(v float32) float32 { return v }, 0},
	}
	for _, c := range cases {
		t.Run(c.dtype, func(t *testing.T) {
			var ts []safetensors.Tensor
			for name, ht := range want.Tensors {
				ts = append(ts, safetensors.Tensor{Name: name, DType: c.dtype, Shape: ht.Shape, Data: ht.Data})
			}
			dir := writeModel(t, t.TempDir(), "open_clip_model.safetensors", ts, golden.Path(t, "tiny-vit", openCLIPConfigFile))
			got, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			for name, w := range want.Tensors {
				g := got.Tensors[name]
				for i, v := range w.Data {
					r := c.round(v)
					// F16's subnormals below 2^-14 have an absolute step of 2^-24.
					limit := c.rel*abs(v) + 0x1p-25
					if g.Data[i] != r || abs(g.Data[i]-v) > limit {
						t.Fatalf("%s[%d] = %g, want %g (stored %g)", name, i, g.Data[i], v, r)
					}
				}
			}
		})
	}
}

func abs(v float32) float64 {
	if v < 0 {
		return -float64(v)
	}
	return float64(v)
}
