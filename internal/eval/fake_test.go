package eval

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/pipeline"
)

// fakeVocab are the words the fake model knows: a text containing word k
// embeds to the unit vector e_k.
var fakeVocab = []string{"red", "green", "blue"}

// newFakeModel returns a pipeline.Model whose image files are text files of
// three comma-separated numbers (the image's features; "bad" or anything
// else is unreadable) and whose text features are one-hot vectors of the
// first fakeVocab word in the text. prompts, if not nil, records the texts
// embedded.
func newFakeModel(prompts *[]string) *pipeline.Model {
	cfg := model.Config{EmbedDim: 3}
	cfg.Vision.ImageSize = 1 // 3 "pixels" per image: the features
	cfg.Text.ContextLength = 2
	return &pipeline.Model{
		Config:    cfg,
		Encoder:   fakeEncoder{},
		Tokenizer: fakeTokenizer{prompts},
		LoadImage: func(path string) ([]float32, error) {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			parts := strings.Split(strings.TrimSpace(string(b)), ",")
			if len(parts) != 3 {
				return nil, fmt.Errorf("not an image")
			}
			px := make([]float32, 3)
			for i, p := range parts {
				v, err := strconv.ParseFloat(p, 32)
				if err != nil {
					return nil, fmt.Errorf("not an image")
				}
				px[i] = float32(v)
			}
			return px, nil
		},
	}
}

type fakeEncoder struct{}

func (fakeEncoder) EncodeImages(pixels []float32, n int) ([]float32, error) {
	return append([]float32(nil), pixels...), nil
}

func (fakeEncoder) EncodeTexts(tokens [][]int32) ([]float32, error) {
	out := make([]float32, 3*len(tokens))
	for i, row := range tokens {
		if row[0] > 0 {
			out[3*i+int(row[0])-1] = 1
		}
	}
	return out, nil
}

func (fakeEncoder) LogitScale() float32 { return 100 }

type fakeTokenizer struct{ prompts *[]string }

func (f fakeTokenizer) Tokenize(text string, n int) []int32 {
	if f.prompts != nil {
		*f.prompts = append(*f.prompts, text)
	}
	row := make([]int32, n)
	for k, w := range fakeVocab {
		if strings.Contains(text, w) {
			row[0] = int32(k + 1)
			break
		}
	}
	return row
}
