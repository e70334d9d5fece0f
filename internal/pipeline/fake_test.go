package pipeline

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/clip-go/clip/internal/model"
)

// fakeEncoder maps an image to [mean of its pixels, 1, batch size] and a
// text to [first token, number of non-zero tokens, 1]; it records the batch
// sizes it saw.
type fakeEncoder struct {
	mu      sync.Mutex
	batches []int
	failAt  int // fail the call with this many rows so far (0: never)
	seen    int
	scale   float32
}

const fakeDim = 3

func (f *fakeEncoder) EncodeImages(pixels []float32, n int) ([]float32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, n)
	f.seen += n
	if f.failAt > 0 && f.seen >= f.failAt {
		return nil, errors.New("device on fire")
	}
	per := len(pixels) / n
	out := make([]float32, 0, n*fakeDim)
	for i := range n {
		var s float32
		for _, v := range pixels[i*per : (i+1)*per] {
			s += v
		}
		out = append(out, s/float32(per), 1, float32(n))
	}
	return out, nil
}

func (f *fakeEncoder) EncodeTexts(tokens [][]int32) ([]float32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, len(tokens))
	out := make([]float32, 0, len(tokens)*fakeDim)
	for _, row := range tokens {
		nz := 0
		for _, v := range row {
			if v != 0 {
				nz++
			}
		}
		out = append(out, float32(row[0]), float32(nz), 1)
	}
	return out, nil
}

func (f *fakeEncoder) LogitScale() float32 {
	if f.scale == 0 {
		return 100
	}
	return f.scale
}

// fakeTokenizer gives one token per word (its length), padded with zeros,
// truncated to the context length.
type fakeTokenizer struct{}

func (fakeTokenizer) Tokenize(text string, n int) []int32 {
	out := make([]int32, n)
	for i, w := range strings.Fields(text) {
		if i >= n {
			break
		}
		out[i] = int32(len(w))
	}
	return out
}

// fakeLoad "decodes" img<k>.png into pixels all equal to k; names starting
// with "bad" fail and "panic" panics.
func fakeLoad(size int) func(string) ([]float32, error) {
	return func(path string) ([]float32, error) {
		switch {
		case strings.HasPrefix(path, "bad"):
			return nil, fmt.Errorf("not an image")
		case strings.HasPrefix(path, "panic"):
			panic("decoder exploded")
		case strings.HasPrefix(path, "short"):
			return []float32{1}, nil
		}
		k, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(path, "img"), ".png"))
		if err != nil {
			return nil, err
		}
		px := make([]float32, 3*size*size)
		for i := range px {
			px[i] = float32(k)
		}
		return px, nil
	}
}

func fakeModel(enc *fakeEncoder) *Model {
	cfg := model.Config{EmbedDim: fakeDim}
	cfg.Vision.ImageSize = 2
	cfg.Text.ContextLength = 4
	return &Model{Config: cfg, Encoder: enc, Tokenizer: fakeTokenizer{}, LoadImage: fakeLoad(2)}
}
