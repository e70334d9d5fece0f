package data

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/imageproc"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/testfs"
	"github.com/clip-go/clip/internal/tokenizer"
)

func clipTokenize(t testing.TB) func(string) ([]int32, error) {
	t.Helper()
	tok, err := tokenizer.Default()
	if err != nil {
		t.Fatal(err)
	}
	return func(c string) ([]int32, error) { return tok.Tokenize(c, 77), nil }
}

// TestGoldenTrainE2E: file-order batches of train_e2e's tables (the CSV
// with a "caption" column, the TSV with OpenCLIP's defaults) are exactly
// the reference inputs: batch k = rows 8k..8k+7, pixels u8 -> normalised,
// tokens of clip.tokenize(context_length=77, truncate=True).
func TestGoldenTrainE2E(t *testing.T) {
	in := golden.ReadTensors(t, golden.Path(t, "train_e2e", "inputs.safetensors"))
	pix, toks := in["pixels_u8"], in["tokens"]
	n, r := pix.Shape[0], pix.Shape[1]
	if len(pix.Shape) != 4 || pix.Shape[2] != r || pix.Shape[3] != 3 || toks.Shape[0] != n {
		t.Fatalf("pixels %v tokens %v", pix.Shape, toks.Shape)
	}
	want := make([]float32, 0, n*3*r*r)
	u8 := make([]uint8, r*r*3)
	for i := range n {
		for j := range u8 {
			u8[j] = uint8(pix.I32[i*r*r*3+j])
		}
		want = append(want, imageproc.Normalize(u8, r, model.OpenAIMean, model.OpenAIStd)...)
	}
	wantTok := toks.Rows()

	const bs = 8
	tokenize := clipTokenize(t)
	for _, c := range []struct {
		file string
		opt  TableOptions
	}{
		{"data.csv", TableOptions{CaptionKey: "caption"}},
		{"data.tsv", TableOptions{}},
	} {
		t.Run(c.file, func(t *testing.T) {
			ds, err := Open(golden.Path(t, "train_e2e", c.file), c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Len() != n {
				t.Fatalf("%d rows, want %d", ds.Len(), n)
			}
			l, err := NewLoader(context.Background(), ds, LoaderOptions{
				BatchSize: bs, ImageSize: r, Mean: model.OpenAIMean, Std: model.OpenAIStd,
				Workers: 3, Tokenize: tokenize, Strict: true,
			}, Position{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			px := 3 * r * r
			for k := range n / bs {
				b, err := l.Next()
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(b.Pixels, want[k*bs*px:(k+1)*bs*px]) {
					t.Errorf("batch %d: pixels differ from rows %d..%d of inputs.safetensors", k, k*bs, k*bs+bs-1)
				}
				for j := range bs {
					if !slices.Equal(b.Tokens[j], wantTok[k*bs+j]) {
						t.Errorf("batch %d slot %d (%s): tokens differ", k, j, b.Keys[j])
					}
				}
				if wantStart := (Position{0, k * bs}); b.Start != wantStart || b.Skipped != 0 {
					t.Errorf("batch %d: Start %v Skipped %d", k, b.Start, b.Skipped)
				}
				if k == n/bs-1 && b.Next != (Position{1, 0}) {
					t.Errorf("last batch: Next %v, want {1 0}", b.Next)
				}
			}
		})
	}
}

// TestGoldenImagesInShard: the golden images (every mode and format the
// set has, non-square sizes) packed into a tar shard come out of the
// loader exactly as CLIP's inference preprocessing at 224 (bit for bit).
func TestGoldenImagesInShard(t *testing.T) {
	raw, err := os.ReadFile(golden.Path(t, "images", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index map[string]struct {
		Preprocess224 string `json:"preprocess224"`
	}
	if err := json.Unmarshal(raw, &index); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(index))
	for name := range index {
		names = append(names, name)
	}
	sort.Strings(names)
	var members []member
	for i, name := range names {
		img, err := os.ReadFile(golden.Path(t, "images", name))
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprintf("%03d", i)
		members = append(members, member{key + filepath.Ext(name), img}, member{key + ".json", []byte(`{"caption": "` + name + `"}`)})
	}
	shard := filepath.Join(t.TempDir(), "golden-0000.tar")
	testfs.WriteFile(t, shard, tarBytes(t, members))
	ds, err := Open(shard, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st := golden.ReadTensors(t, golden.Path(t, "images", "preprocess.safetensors"))
	l, err := NewLoader(context.Background(), ds, LoaderOptions{
		BatchSize: len(names), ImageSize: 224, Mean: model.OpenAIMean, Std: model.OpenAIStd, Strict: true,
	}, Position{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b, err := l.Next()
	if err != nil {
		t.Fatal(err)
	}
	px := 3 * 224 * 224
	for i, name := range names {
		if ds.Samples[i].Caption != name {
			t.Fatalf("sample %d is %q, want %q", i, ds.Samples[i].Caption, name)
		}
		if !slices.Equal(b.Pixels[i*px:(i+1)*px], st[index[name].Preprocess224].F32) {
			t.Errorf("%s: pixels differ from the reference preprocess224", name)
		}
	}
}
