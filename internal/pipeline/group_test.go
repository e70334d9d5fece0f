package pipeline

import (
	"context"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/model"
)

// recordingEncoder keeps every text batch it is given.
type recordingEncoder struct {
	fakeEncoder
	textBatches [][][]int32
}

func (r *recordingEncoder) EncodeTexts(tokens [][]int32) ([]float32, error) {
	r.textBatches = append(r.textBatches, tokens)
	return r.fakeEncoder.EncodeTexts(tokens)
}

// Texts reach the model grouped by length but come back in input order.
func TestEmbedTextsGroupsByLength(t *testing.T) {
	// With the fake tokenizer a word's token is its length, so the final
	// long word plays the end-of-text token: text i pools at position i%7.
	var texts []string
	for i := 0; i < 40; i++ {
		texts = append(texts, strings.Repeat("a ", i%7)+"endoftextword")
	}
	enc := &recordingEncoder{}
	m := fakeModel(&enc.fakeEncoder)
	m.Encoder = enc
	m.Config.Text.ContextLength = 8
	var got []float32
	err := m.EmbedTexts(context.Background(), texts, BatchOptions{BatchSize: 4}, func(b Batch) error {
		got = append(got, b.Features...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if words := float32(i%7 + 1); got[i*fakeDim+1] != words {
			t.Fatalf("row %d has %g tokens, want %g: output not in input order", i, got[i*fakeDim+1], words)
		}
	}
	prevMax := -1
	for _, b := range enc.textBatches {
		pos := model.PoolPositions(b)
		for j := 1; j < len(pos); j++ {
			if pos[j] < pos[j-1] {
				t.Fatalf("batch not sorted by length: %v", pos)
			}
		}
		if pos[0] < prevMax {
			t.Fatalf("batches out of length order: %v after max %d", pos, prevMax)
		}
		prevMax = pos[len(pos)-1]
	}
}
