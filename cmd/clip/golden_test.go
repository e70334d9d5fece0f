package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/golden"
)

// Tests against the reference data made with OpenAI's code
// (../shared/golden): the real tokenizer, image pipeline and model, run
// through the command line exactly as a user would.

type goldenInputs struct {
	Images []string `json:"images"`
	Texts  []string `json:"texts"`
}

func readGoldenInputs(t *testing.T, modelName string) goldenInputs {
	t.Helper()
	b, err := os.ReadFile(golden.Path(t, modelName, "inputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in goldenInputs
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// imagePaths are the golden images in inputs.json order.
func imagePaths(t *testing.T, in goldenInputs) []string {
	out := make([]string, len(in.Images))
	for i, name := range in.Images {
		out[i] = golden.Path(t, "images", name)
	}
	return out
}

func row(x []float32, i, dim int) []float32 { return x[i*dim : (i+1)*dim] }

func normalized(x []float32) []float32 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(float64(v) / math.Sqrt(ss))
	}
	return out
}

type goldenCase struct {
	Text     string  `json:"text"`
	IDs      []int   `json:"ids"`
	Tokens77 []int32 `json:"tokens77"`
}

func TestGoldenTokenize(t *testing.T) {
	casesPath := golden.Path(t, "tokenizer", "cases.jsonl")
	b, err := os.ReadFile(casesPath)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var c goldenCase
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"built-in", nil},
		{"--tokenizer bpe.gz", []string{"--tokenizer", golden.Path(t, "tokenizer", "bpe_simple_vocab_16e6.txt.gz")}},
		{"--tokenizer vocab.json", []string{"--tokenizer", golden.Path(t, "tokenizer", "vocab.json")}},
		{"--model without tokenizer files", []string{"--model", golden.Path(t, "tiny-vit")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"tokenize", "--input", casesPath}, tc.args...)...)
			r.expect(t, exitOK, "tokenizer: ")
			var got []tokenizeRecord
			for _, l := range strings.Split(strings.TrimSuffix(r.out, "\n"), "\n") {
				var rec tokenizeRecord
				if err := json.Unmarshal([]byte(l), &rec); err != nil {
					t.Fatalf("output line %q: %v", l, err)
				}
				got = append(got, rec)
			}
			if len(got) != len(cases) {
				t.Fatalf("%d records for %d cases", len(got), len(cases))
			}
			bad := 0
			for i, c := range cases {
				g := got[i]
				if g.Text != c.Text || fmt.Sprint(g.IDs) != fmt.Sprint(c.IDs) || fmt.Sprint(g.Tokens) != fmt.Sprint(c.Tokens77) {
					if bad++; bad <= 3 {
						t.Errorf("case %d %q:\n got ids %v tokens %v\nwant ids %v tokens %v", i+1, c.Text, g.IDs, g.Tokens, c.IDs, c.Tokens77)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d cases differ", bad, len(cases))
			}
		})
	}
}

func TestGoldenTokenizeContextLength(t *testing.T) {
	text := "a very long caption that keeps going and going"
	for _, n := range []int{1, 5, 12, 77} {
		r := runCLI(t, "tokenize", "--context-length", fmt.Sprint(n), text)
		r.expect(t, exitOK)
		var rec tokenizeRecord
		if err := json.Unmarshal([]byte(r.out), &rec); err != nil {
			t.Fatal(err)
		}
		// clip.tokenize(truncate=True): cut to n and end with the end token,
		// or pad with 0.
		want := make([]int32, n)
		for i := range min(n, len(rec.IDs)) {
			want[i] = int32(rec.IDs[i])
		}
		if len(rec.IDs) > n {
			want[n-1] = 49407
		}
		if fmt.Sprint(rec.Tokens) != fmt.Sprint(want) {
			t.Errorf("context %d: tokens %v, want %v", n, rec.Tokens, want)
		}
	}
}

func TestTokenizeInputs(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"ok.jsonl":       `{"text": "two\nlines"}` + "\n\n" + `{"text": "nul\u0000 and \u00e9", "kind": "extra keys are ignored"}` + "\n",
		"bad.jsonl":      `{"text": "fine"}` + "\n" + `{"text": "fine"}` + "\n" + `{"text": broken}` + "\n",
		"notext.jsonl":   `{"caption": "x"}` + "\n",
		"string.jsonl":   `"just a string"` + "\n",
		"empty.jsonl":    "\n",
		"trailing.jsonl": `{"text": "a"} {"text": "b"}` + "\n",
	})
	p := func(n string) string { return filepath.Join(dir, n) }
	t.Run("file", func(t *testing.T) {
		r := runCLI(t, "tokenize", "--input", p("ok.jsonl"))
		r.expect(t, exitOK)
		lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"text":"two\nlines","ids":[49406,`) || !strings.HasPrefix(lines[1], `{"text":"nul\u0000 and é"`) {
			t.Errorf("output:\n%s", r.out)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		r := invocation{stdin: `{"text": "<|endoftext|>"}`}.run(t, "tokenize", "--input", "-")
		r.expect(t, exitOK)
		if !strings.HasPrefix(r.out, `{"text":"<|endoftext|>","ids":[49406,49407,49407],"tokens":[49406,49407,49407,0,`) {
			t.Errorf("output: %s", r.out)
		}
	})
	errs := []struct {
		name string
		args []string
		want string
	}{
		{"bad json names the line", []string{"--input", p("bad.jsonl")}, p("bad.jsonl") + " line 3: want a JSON object"},
		{"no text key", []string{"--input", p("notext.jsonl")}, `line 1: no "text" string`},
		{"not an object", []string{"--input", p("string.jsonl")}, "line 1: want a JSON object"},
		{"two objects on a line", []string{"--input", p("trailing.jsonl")}, "line 1:"},
		{"no texts", []string{"--input", p("empty.jsonl")}, "no texts"},
		{"missing file", []string{"--input", p("nope.jsonl")}, "nope.jsonl"},
		{"both", []string{"--input", p("ok.jsonl"), "extra"}, "not both"},
		{"neither", nil, "nothing to tokenize"},
		{"absent model", []string{"--model", p("nope"), "x"}, "no such file or folder"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"tokenize"}, tc.args...)...)
			r.expect(t, exitUsage, tc.want)
			if r.out != "" {
				t.Errorf("partial output: %q", r.out)
			}
		})
	}
}

func TestGoldenEmbedImages(t *testing.T) {
	for _, name := range []string{"tiny-vit", "tiny-rn"} {
		t.Run(name, func(t *testing.T) {
			in := readGoldenInputs(t, name)
			ref := golden.ReadTensors(t, golden.Path(t, name, "golden.safetensors"))["image_features"]
			dim := ref.Shape[1]
			dir := t.TempDir()
			var first []float32
			for _, bs := range []string{"8", "3"} {
				out := filepath.Join(dir, "img"+bs+".npy")
				r := runCLI(t, append([]string{"embed", "--model", golden.Path(t, name), "--out", out, "--no-normalize", "--batch-size", bs}, imagePaths(t, in)...)...)
				r.expect(t, exitOK)
				a := readNPY(t, out)
				if fmt.Sprint(a.Shape) != fmt.Sprint(ref.Shape) {
					t.Fatalf("shape %v, want %v", a.Shape, ref.Shape)
				}
				// JPEGs too: the decoder reproduces libjpeg-turbo exactly.
				for i, img := range in.Images {
					golden.AssertRel(t, fmt.Sprintf("%s bs %s %s", name, bs, img), row(a.Data, i, dim), row(ref.F32, i, dim), 1e-5)
				}
				if first == nil {
					first = a.Data
				} else {
					// A row does not depend on its batch: identical bits.
					golden.AssertRel(t, "batch size 3 vs 8", a.Data, first, 0)
				}
			}
		})
	}
}

func TestGoldenEmbedNormalizedAndHF(t *testing.T) {
	in := readGoldenInputs(t, "tiny-vit")
	ref := golden.ReadTensors(t, golden.Path(t, "tiny-vit", "golden.safetensors"))["image_features"]
	dim := ref.Shape[1]
	for _, tc := range []struct{ name, model string }{
		{"openclip", golden.Path(t, "tiny-vit")},
		{"hf", golden.Path(t, "tiny-vit", "hf")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "n.npy")
			runCLI(t, "embed", "--model", tc.model, "--out", out, golden.Path(t, "images", "chelsea.png"), golden.Path(t, "images", "camera.png")).expect(t, exitOK)
			a := readNPY(t, out)
			for r, img := range []string{"chelsea.png", "camera.png"} {
				i := indexOf(in.Images, img)
				golden.AssertRel(t, tc.name+" "+img, row(a.Data, r, dim), normalized(row(ref.F32, i, dim)), 1e-5)
			}
		})
	}
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func TestGoldenEmbedTexts(t *testing.T) {
	in := readGoldenInputs(t, "tiny-vit")
	ref := golden.ReadTensors(t, golden.Path(t, "tiny-vit", "golden.safetensors"))["text_features"]
	dir := t.TempDir()
	// One caption per line; the empty caption is an empty line.
	writeFiles(t, dir, map[string]string{"texts.txt": strings.Join(in.Texts, "\n") + "\n"})
	out := filepath.Join(dir, "t.npy")
	runCLI(t, "embed", "--model", golden.Path(t, "tiny-vit"), "--out", out, "--no-normalize", "--batch-size", "3", "--texts", filepath.Join(dir, "texts.txt")).expect(t, exitOK)
	a := readNPY(t, out)
	if fmt.Sprint(a.Shape) != fmt.Sprint(ref.Shape) {
		t.Fatalf("shape %v, want %v", a.Shape, ref.Shape)
	}
	golden.AssertRel(t, "text_features", a.Data, ref.F32, 1e-5)
	ids := readIDs(t, filepath.Join(dir, "t.ids.jsonl"))
	for i, txt := range in.Texts {
		if ids[i].Text == nil || *ids[i].Text != txt {
			t.Errorf("ids line %d = %+v, want %q", i, ids[i], txt)
		}
	}
}

// TestGoldenEmbedBadImage: an unreadable image among good ones gives exit
// 1, the failure list on stderr, and every good row in the .npy.
func TestGoldenEmbedBadImage(t *testing.T) {
	in := readGoldenInputs(t, "tiny-vit")
	ref := golden.ReadTensors(t, golden.Path(t, "tiny-vit", "golden.safetensors"))["image_features"]
	dim := ref.Shape[1]
	dir := t.TempDir()
	good := []string{"chelsea.png", "camera.png", "coffee_palette.png"}
	for _, g := range good {
		b, err := os.ReadFile(golden.Path(t, "images", g))
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, dir, map[string]string{"imgs/" + g: string(b)})
	}
	png, _ := os.ReadFile(golden.Path(t, "images", "chelsea.png"))
	writeFiles(t, dir, map[string]string{
		"imgs/broken.png":    "this is not a PNG",
		"imgs/truncated.png": string(png[:len(png)/2]),
	})
	out := filepath.Join(dir, "e.npy")
	r := runCLI(t, "embed", "--model", golden.Path(t, "tiny-vit"), "--out", out, "--no-normalize", filepath.Join(dir, "imgs"))
	r.expect(t, exitFailure, "2 of 5 images could not be read", filepath.Join(dir, "imgs", "broken.png")+": ", filepath.Join(dir, "imgs", "truncated.png")+": ")
	a := readNPY(t, out)
	// Sorted walk: broken, camera, chelsea, coffee_palette, truncated.
	order := []string{"camera.png", "chelsea.png", "coffee_palette.png"}
	if a.Shape[0] != len(order) {
		t.Fatalf("%d rows, want %d", a.Shape[0], len(order))
	}
	for r, img := range order {
		golden.AssertRel(t, img, row(a.Data, r, dim), row(ref.F32, indexOf(in.Images, img), dim), 1e-5)
	}
}

// TestGoldenClassify: with the template "{}" the labels are the golden
// texts, so the probabilities are the softmax of the golden
// logits_per_image over the chosen texts.
func TestGoldenClassify(t *testing.T) {
	in := readGoldenInputs(t, "tiny-vit")
	logits := golden.ReadTensors(t, golden.Path(t, "tiny-vit", "golden.safetensors"))["logits_per_image"]
	nt := logits.Shape[1]
	var labelIdx []int
	var labels []string
	for i, txt := range in.Texts {
		if txt != "" { // an empty label is a usage error
			labelIdx = append(labelIdx, i)
			labels = append(labels, txt)
		}
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"labels.txt": strings.Join(labels, "\n")})
	var images []string
	for _, img := range in.Images {
		if strings.HasSuffix(img, ".png") {
			images = append(images, golden.Path(t, "images", img))
		}
	}
	r := runCLI(t, append([]string{"classify", "--model", golden.Path(t, "tiny-vit"), "--labels-file", filepath.Join(dir, "labels.txt"),
		"--template", "{}", "--format", "json", "--top", "0"}, images...)...)
	r.expect(t, exitOK)
	sc := bufio.NewScanner(strings.NewReader(r.out))
	sc.Buffer(nil, 1<<20)
	n := 0
	for ; sc.Scan(); n++ {
		var rec classifyLine
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		i := indexOf(in.Images, filepath.Base(rec.Image))
		// Reference: softmax over the chosen columns of logits_per_image.
		want := map[string]float64{}
		var mx, sum float64 = math.Inf(-1), 0
		for _, j := range labelIdx {
			mx = math.Max(mx, float64(logits.F32[i*nt+j]))
		}
		for _, j := range labelIdx {
			e := math.Exp(float64(logits.F32[i*nt+j]) - mx)
			want[in.Texts[j]] = e
			sum += e
		}
		for k, p := range rec.Probs {
			w := want[rec.Labels[k]] / sum
			if math.Abs(float64(p)-w) > 2e-5 {
				t.Errorf("%s %q: prob %g, want %g", rec.Image, rec.Labels[k], p, w)
			}
			if k > 0 && p > rec.Probs[k-1] {
				t.Errorf("%s: not sorted by probability: %v", rec.Image, rec.Probs)
			}
		}
		if len(rec.Labels) != len(labels) {
			t.Errorf("%s: %d labels, want %d", rec.Image, len(rec.Labels), len(labels))
		}
	}
	if n != len(images) {
		t.Errorf("%d results for %d images", n, len(images))
	}
}

// TestGoldenMaxPixels: --max-pixels refuses larger images (chelsea.png is
// 451x300 = 135300 pixels) and lets smaller ones through.
func TestGoldenMaxPixels(t *testing.T) {
	big, small := golden.Path(t, "images", "chelsea.png"), golden.Path(t, "images", "chelsea_tiny.png")
	out := filepath.Join(t.TempDir(), "m.npy")
	r := runCLI(t, "embed", "--model", golden.Path(t, "tiny-vit"), "-o", out, "--max-pixels", "100000", big, small)
	r.expect(t, exitFailure, "1 of 2 images could not be read", big+": ")
	if a := readNPY(t, out); a.Shape[0] != 1 {
		t.Errorf("%d rows, want the small image only", a.Shape[0])
	}
	t.Setenv("CLIP_MAX_PIXELS", "100000")
	r = runCLI(t, "classify", "--model", golden.Path(t, "tiny-vit"), "--labels", "cat,dog", "--format", "json", big, small)
	r.expect(t, exitFailure, "1 of 2 images could not be read", big+": ")
	if n := strings.Count(r.out, "\n"); n != 1 {
		t.Errorf("%d results, want 1:\n%s", n, r.out)
	}
}
