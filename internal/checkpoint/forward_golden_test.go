package checkpoint_test

import (
	"testing"

	"github.com/clip-go/clip/internal/checkpoint"
	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/model"
)

// Every layout loads into a model whose features match the reference, both
// streamed (Open + LoadFrom, as pipeline.Open does) and eagerly (Load +
// LoadWeights): the end-to-end check that renames, transposes and q/k/v
// concatenation are right, not just that tensors have the right shapes.
func TestLoadedModelsMatchGoldenFeatures(t *testing.T) {
	cases := []struct{ path, golden string }{
		{"tiny-vit", "tiny-vit"},
		{"tiny-vit/hf", "tiny-vit"},
		{"tiny-vit/open_clip_model.safetensors", "tiny-vit"},
		{"tiny-rn", "tiny-rn"},
	}
	loaders := map[string]func(path string) (*model.CLIP, error){
		"streamed": func(path string) (*model.CLIP, error) {
			ck, err := checkpoint.Open(path)
			if err != nil {
				return nil, err
			}
			defer ck.Close()
			m, err := model.New(ck.Config, cpu.New(0))
			if err != nil {
				return nil, err
			}
			return m, m.LoadFrom(ck)
		},
		"eager": func(path string) (*model.CLIP, error) {
			ck, err := checkpoint.Load(path)
			if err != nil {
				return nil, err
			}
			m, err := model.New(ck.Config, cpu.New(0))
			if err != nil {
				return nil, err
			}
			return m, m.LoadWeights(ck.Tensors)
		},
	}
	for _, c := range cases {
		for how, load := range loaders {
			t.Run(c.path+"/"+how, func(t *testing.T) {
				m, err := load(golden.Path(t, c.path))
				if err != nil {
					t.Fatal(err)
				}
				g := golden.ReadTensors(t, golden.Path(t, c.golden, "golden.safetensors"))
				img, err := m.EncodeImages(g["pixels"].F32, g["pixels"].Shape[0])
				if err != nil {
					t.Fatal(err)
				}
				txt, err := m.EncodeTexts(g["tokens"].Rows())
				if err != nil {
					t.Fatal(err)
				}
				golden.AssertRel(t, "image_features", img, g["image_features"].F32, 1e-5)
				golden.AssertRel(t, "text_features", txt, g["text_features"].F32, 1e-5)
			})
		}
	}
}
