package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/cpu"
	"github.com/clip-go/clip/internal/golden"
	"github.com/clip-go/clip/internal/testfs"
)

// zeroShotOut is the JSON output of clip eval zeroshot.
type zeroShotOut struct {
	Data             string  `json:"data"`
	Top1             float64 `json:"top1"`
	Top5             float64 `json:"top5"`
	MeanPerClassTop1 float64 `json:"mean_per_class_top1"`
	N                int     `json:"n"`
	Failed           int     `json:"failed"`
	PerClass         []struct {
		Name string  `json:"name"`
		N    int     `json:"n"`
		Top1 float64 `json:"top1"`
		Top5 float64 `json:"top5"`
	} `json:"per_class"`
}

func parseZeroShot(t *testing.T, out string) zeroShotOut {
	t.Helper()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one JSON line, got:\n%s", out)
	}
	var z zeroShotOut
	if err := json.Unmarshal([]byte(out), &z); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return z
}

// zeroShotFixture is an image folder for the fake model (image files hold
// a number v; see fakeModel). With the single template "{}", a class's text
// feature is [len(name), 1, 1, 0] and an image's [v, 1, 0, 0]: v = 0 picks
// the shortest class name, v = 100 the longest. Classes ab (short) and
// abcdef (long): ab/1 (v 0) and abcdef/2 (v 100) are right, abcdef/1 (v 0)
// is wrong, so top-1 is 2/3.
func zeroShotFixture(t *testing.T) (dir, folder, modelDir string) {
	t.Helper()
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"model/weights":       "",
		"imgs/ab/1.png":       "0",
		"imgs/abcdef/1.png":   "0",
		"imgs/abcdef/2.jpg":   "100",
		"imgs/abcdef/x.txt":   "not an image file",
		"imgs/.hidden/3.png":  "0",
		"bad/ab/1.png":        "0",
		"bad/ab/broken.png":   "bad",
		"bad/abcdef/1.png":    "100",
		"names.txt":           "ab\nabcdef\n",
		"flat/a.png":          "0",
		"prompts/simple3.txt": "{}\n\nphoto: {}\n",
	})
	return dir, filepath.Join(dir, "imgs"), filepath.Join(dir, "model")
}

func TestEvalZeroShotFormats(t *testing.T) {
	_, folder, mdir := zeroShotFixture(t)
	base := []string{"eval", "zeroshot", "--model", mdir, "--data", folder, "--template", "{}"}
	for _, format := range []string{"json", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			r := invocation{fake: &fakeModel{}}.run(t, append(base, "--format", format)...)
			r.expect(t, exitOK, "zero-shot: 3 images in 2 classes, 1 templates")
			z := parseZeroShot(t, r.out)
			if z.Data != folder || z.N != 3 || z.Failed != 0 || math.Abs(z.Top1-2.0/3) > 1e-12 || z.Top5 != 1 {
				t.Errorf("result %+v", z)
			}
			if len(z.PerClass) != 2 || z.PerClass[0].Name != "ab" || z.PerClass[0].N != 1 || z.PerClass[0].Top1 != 1 ||
				z.PerClass[1].Name != "abcdef" || z.PerClass[1].N != 2 || z.PerClass[1].Top1 != 0.5 {
				t.Errorf("per class %+v", z.PerClass)
			}
			if z.MeanPerClassTop1 != 0.75 {
				t.Errorf("mean per-class top-1 %g, want 0.75", z.MeanPerClassTop1)
			}
		})
	}
	t.Run("tsv when piped", func(t *testing.T) {
		r := invocation{fake: &fakeModel{}}.run(t, base...)
		r.expect(t, exitOK)
		want := "class\tn\ttop1\ttop5\nab\t1\t1\t1\nabcdef\t2\t0.5\t1\n(all)\t3\t" + fmt.Sprint(2.0/3) + "\t1\n"
		if r.out != want {
			t.Errorf("tsv:\n%s\nwant:\n%s", r.out, want)
		}
		if r2 := (invocation{fake: &fakeModel{}}).run(t, append(base, "--format", "tsv")...); r2.out != r.out {
			t.Errorf("--format tsv differs from the piped default")
		}
	})
	t.Run("table on a terminal", func(t *testing.T) {
		r := invocation{fake: &fakeModel{}, term: true}.run(t, base...)
		r.expect(t, exitOK)
		for _, want := range []string{"top-1                 66.67%\n", "top-5                 100.00%\n", "mean per-class top-1  75.00%\n",
			"images                3\n", "\nCLASS   IMAGES  TOP-1    TOP-5\nab      1       100.00%  100.00%\nabcdef  2       50.00%   100.00%\n"} {
			if !strings.Contains(r.out, want) {
				t.Errorf("table lacks %q:\n%s", want, r.out)
			}
		}
		if r2 := (invocation{fake: &fakeModel{}}).run(t, append(base, "--format", "table")...); r2.out != r.out {
			t.Errorf("--format table differs from the terminal default")
		}
	})
}

// checkPrompts checks the prompts the model saw for the fixture's two
// classes: n per class, starting with first.
func checkPrompts(t *testing.T, texts []string, n int, first string) {
	t.Helper()
	if len(texts) != 2*n || texts[0] != first {
		t.Errorf("model saw %d prompts starting %q, want %d starting %q", len(texts), texts, 2*n, first)
	}
}

func TestEvalZeroShotTemplatesAndClasses(t *testing.T) {
	dir, folder, mdir := zeroShotFixture(t)
	writeFiles(t, dir, map[string]string{
		"tabbed.txt": "abcdef\tbb\nab\tsomething long\n",
		"plain.txt":  "something long\nbb\n",
	})
	tests := []struct {
		name  string
		args  []string
		n     int
		first string
		top1  float64
	}{
		{"default: openai set", nil, 80, "a bad photo of a ab.", -1},
		{"--templates simple", []string{"--templates", "simple"}, 7, "itap of a ab.", -1},
		{"--templates FILE", []string{"--templates", filepath.Join(dir, "prompts", "simple3.txt")}, 2, "ab", -1},
		{"--template only", []string{"--template", "{}"}, 1, "ab", 2.0 / 3},
		{"--templates then --template", []string{"--templates", "simple", "--template", "x {}"}, 8, "itap of a ab.", -1},
		// The class names swap which class is long: now v = 0 (the
		// shortest name, "bb") picks abcdef's class.
		{"--classes one per line", []string{"--template", "{}", "--classes", filepath.Join(dir, "plain.txt")}, 1, "something long", 1.0 / 3},
		{"--classes folder TAB name", []string{"--template", "{}", "--classes", filepath.Join(dir, "tabbed.txt")}, 1, "something long", 1.0 / 3},
		{"--classes in folder order", []string{"--template", "{}", "--classes", filepath.Join(dir, "names.txt")}, 1, "ab", 2.0 / 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := invocation{fake: &fakeModel{}}
			r := inv.run(t, append([]string{"eval", "zeroshot", "--model", mdir, "--data", folder, "--format", "json"}, tc.args...)...)
			r.expect(t, exitOK)
			checkPrompts(t, inv.fake.texts, tc.n, tc.first)
			if z := parseZeroShot(t, r.out); tc.top1 >= 0 && math.Abs(z.Top1-tc.top1) > 1e-12 {
				t.Errorf("top-1 %g, want %g", z.Top1, tc.top1)
			}
		})
	}
}

func TestEvalZeroShotUsageErrors(t *testing.T) {
	dir, folder, mdir := zeroShotFixture(t)
	writeFiles(t, dir, map[string]string{
		"three.txt": "a\nb\nc\n",
		"dup.txt":   "a\na\n",
		"bad.txt":   "{}\nno braces\n",
	})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no data", nil, "no evaluation data: give --data FOLDER"},
		{"missing folder", []string{"--data", filepath.Join(dir, "nope")}, "--data: image folder: open " + filepath.Join(dir, "nope")},
		{"no class folders", []string{"--data", filepath.Join(dir, "flat")}, "no class folders"},
		{"class count", []string{"--data", folder, "--classes", filepath.Join(dir, "three.txt")}, `3 names for 2 class folders (line 3 has no folder)`},
		{"duplicate class names", []string{"--data", folder, "--classes", filepath.Join(dir, "dup.txt")}, `duplicate label "a"`},
		{"missing classes file", []string{"--data", folder, "--classes", filepath.Join(dir, "nope.txt")}, "nope.txt"},
		{"unknown template set", []string{"--data", folder, "--templates", "fancy"}, `--templates "fancy": not a template set (openai, simple)`},
		{"template file line", []string{"--data", folder, "--templates", filepath.Join(dir, "bad.txt")}, `bad.txt:2: template "no braces" has no {}`},
		{"--template without braces", []string{"--data", folder, "--template", "x"}, `template "x" has no {}`},
		{"format", []string{"--data", folder, "--format", "xml"}, `invalid value "xml" for format`},
		{"batch size", []string{"--data", folder, "--batch-size", "0"}, `invalid value "0" for batch-size`},
		{"argument", []string{"--data", folder, "extra"}, `unknown command "extra" for "clip eval zeroshot"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := invocation{fake: &fakeModel{}}
			inv.run(t, append([]string{"eval", "zeroshot", "--model", mdir}, tc.args...)...).expect(t, exitUsage, tc.want)
			if len(inv.fake.opened) > 0 {
				t.Error("model opened despite a usage error")
			}
		})
	}
	t.Run("no model", func(t *testing.T) {
		invocation{fake: &fakeModel{}}.run(t, "eval", "zeroshot", "--data", folder).expect(t, exitUsage, "no model given")
	})
}

func TestEvalCommandErrors(t *testing.T) {
	runCLI(t, "eval").expect(t, exitUsage, "no eval command given")
	runCLI(t, "eval", "zeroshoot").expect(t, exitUsage, `unknown eval command "zeroshoot"`, "did you mean zeroshot?")
}

func TestEvalZeroShotBadImage(t *testing.T) {
	dir, _, mdir := zeroShotFixture(t)
	bad := filepath.Join(dir, "bad")
	r := invocation{fake: &fakeModel{}}.run(t, "eval", "zeroshot", "--model", mdir, "--data", bad, "--template", "{}", "--format", "json")
	broken := filepath.Join(bad, "ab", "broken.png")
	r.expect(t, exitFailure, "cannot read image "+broken, "1 of 3 images could not be read")
	z := parseZeroShot(t, r.out)
	if z.N != 2 || z.Failed != 1 || z.Top1 != 1 {
		t.Errorf("results over the readable images: %+v", z)
	}
	r = invocation{fake: &fakeModel{}, term: true}.run(t, "eval", "zeroshot", "--model", mdir, "--data", bad, "--template", "{}")
	if !strings.Contains(r.out, "images                2 (1 unreadable, left out)") {
		t.Errorf("table does not mention the unreadable image:\n%s", r.out)
	}
}

func TestEvalFlagsReachThePipeline(t *testing.T) {
	dir, folder, mdir := zeroShotFixture(t)
	tok := filepath.Join(dir, "names.txt") // any existing file
	inv := invocation{fake: &fakeModel{}}
	inv.run(t, "eval", "zeroshot", "--model", mdir, "--data", folder, "--template", "{}", "--threads", "2", "--max-pixels", "99",
		"--tokenizer", tok, "--batch-size", "2", "--format", "json").expect(t, exitOK)
	o := inv.fake.opts
	if be, ok := o.Backend.(*cpu.Backend); !ok || be.Threads() != 2 || o.MaxPixels != 99 || o.TokenizerPath != tok {
		t.Errorf("options %+v", o)
	}
	// 2 prompts, then 3 images in batches of at most 2.
	if fmt.Sprint(inv.fake.batches) != "[2 2 1]" {
		t.Errorf("model calls %v", inv.fake.batches)
	}
}

func TestEvalSettingsFromConfigAndEnvironment(t *testing.T) {
	dir, _, _ := zeroShotFixture(t)
	writeFiles(t, dir, map[string]string{
		"conf/eval.yaml":    "model: ../model\ndata: ../imgs\nclasses: names.txt\ntemplates: prompts.txt\nformat: json\n",
		"conf/names.txt":    "ab\nabcdef\n",
		"conf/prompts.txt":  "{}\n",
		"conf/retr.yaml":    "data: pairs.csv\ncsv-separator: \";\"\ncsv-img-key: img\ncsv-caption-key: cap\n",
		"conf/pairs.csv":    "img;cap\n../imgs/ab/1.png;a cat\n",
		"conf/unused.yaml":  "csv-img-key: img\n", // a key of another command is fine
		"conf/unknown.yaml": "csv-image-key: img\n",
	})
	t.Chdir(t.TempDir())
	inv := invocation{fake: &fakeModel{}}
	r := inv.run(t, "eval", "zeroshot", "--config", filepath.Join(dir, "conf", "eval.yaml"))
	r.expect(t, exitOK)
	if z := parseZeroShot(t, r.out); z.N != 3 || math.Abs(z.Top1-2.0/3) > 1e-12 {
		t.Errorf("result %+v", z)
	}
	checkPrompts(t, inv.fake.texts, 1, "ab")

	r = runCLI(t, "eval", "retrieval", "--print-config", "--config", filepath.Join(dir, "conf", "retr.yaml"))
	r.expect(t, exitOK)
	for key, want := range map[string]string{
		"data":            `data: "` + filepath.Join(dir, "conf", "pairs.csv") + `"  # config file`,
		"csv-separator":   `csv-separator: ";"  # config file`,
		"csv-img-key":     `csv-img-key: "img"  # config file`,
		"csv-caption-key": `csv-caption-key: "cap"  # config file`,
	} {
		if got := configLine(t, r.out, key); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	t.Setenv("CLIP_DATA", filepath.Join(dir, "imgs"))
	t.Setenv("CLIP_CLASSES", filepath.Join(dir, "conf", "names.txt"))
	r = runCLI(t, "eval", "zeroshot", "--print-config")
	if got := configLine(t, r.out, "data"); !strings.Contains(got, "environment CLIP_DATA") {
		t.Errorf("data: %q", got)
	}
	if got := configLine(t, r.out, "classes"); !strings.Contains(got, "environment CLIP_CLASSES") {
		t.Errorf("classes: %q", got)
	}
	if got := configLine(t, r.out, "templates"); got != `templates: ""  # default` {
		t.Errorf("templates: %q", got)
	}
	runCLI(t, "eval", "zeroshot", "--print-config", "--config", filepath.Join(dir, "conf", "unused.yaml")).expect(t, exitOK)
	runCLI(t, "eval", "zeroshot", "--print-config", "--config", filepath.Join(dir, "conf", "unknown.yaml")).expect(t, exitUsage, `unknown key "csv-image-key"`)
}

// retrievalOut is the JSON output of clip eval retrieval.
type retrievalOut struct {
	Data        string `json:"data"`
	N           int    `json:"n"`
	Failed      int    `json:"failed"`
	ImageToText struct {
		R1         float64 `json:"recall@1"`
		R5         float64 `json:"recall@5"`
		R10        float64 `json:"recall@10"`
		MeanRank   float64 `json:"mean_rank"`
		MedianRank float64 `json:"median_rank"`
	} `json:"image_to_text"`
	TextToImage struct {
		R1         float64 `json:"recall@1"`
		R5         float64 `json:"recall@5"`
		R10        float64 `json:"recall@10"`
		MeanRank   float64 `json:"mean_rank"`
		MedianRank float64 `json:"median_rank"`
	} `json:"text_to_image"`
}

func parseRetrieval(t *testing.T, out string) retrievalOut {
	t.Helper()
	var r retrievalOut
	if err := json.Unmarshal([]byte(out), &r); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("%v:\n%s", err, out)
	}
	return r
}

func TestEvalRetrieval(t *testing.T) {
	dir := t.TempDir()
	// Fake features: image [v, 1, 0, 0], caption [len, words, 1, 0].
	writeFiles(t, dir, map[string]string{
		"model/weights": "",
		"imgs/1.png":    "1",
		"imgs/2.png":    "50",
		"imgs/3.png":    "bad",
		"pairs.csv":     "filepath,title\nimgs/1.png,a b c d\nimgs/2.png,\"long, long caption\"\nimgs/3.png,lost\n",
		"pairs.tsv":     "title\tfilepath\na b c d\timgs/1.png\nlong caption text\timgs/2.png\n",
		"custom.txt":    "cap|img\na b c d|imgs/1.png\nlong caption text|imgs/2.png\n",
	})
	mdir := filepath.Join(dir, "model")
	base := []string{"eval", "retrieval", "--model", mdir}
	t.Run("json, bad image", func(t *testing.T) {
		inv := invocation{fake: &fakeModel{}}
		r := inv.run(t, append(base, "--data", filepath.Join(dir, "pairs.csv"), "--format", "json")...)
		r.expect(t, exitFailure, "cannot read image "+filepath.Join(dir, "imgs", "3.png"), "1 of 3 images could not be read")
		res := parseRetrieval(t, r.out)
		if res.N != 2 || res.Failed != 1 || res.Data != filepath.Join(dir, "pairs.csv") {
			t.Errorf("result %+v", res)
		}
		if fmt.Sprint(inv.fake.texts) != "[a b c d long, long caption]" {
			t.Errorf("captions embedded %q (the unreadable image's caption is dropped)", inv.fake.texts)
		}
		// Both directions rank 2 pairs: recall@5 and @10 are 1, ranks in 1..2.
		for _, m := range []float64{res.ImageToText.R5, res.ImageToText.R10, res.TextToImage.R5, res.TextToImage.R10} {
			if m != 1 {
				t.Errorf("recall over 2 pairs: %+v", res)
			}
		}
	})
	t.Run("tsv by extension, tsv output when piped", func(t *testing.T) {
		r := invocation{fake: &fakeModel{}}.run(t, append(base, "--data", filepath.Join(dir, "pairs.tsv"))...)
		r.expect(t, exitOK, "retrieval: 2 image-caption pairs")
		lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
		if len(lines) != 3 || lines[0] != "direction\trecall@1\trecall@5\trecall@10\tmean_rank\tmedian_rank" ||
			!strings.HasPrefix(lines[1], "image_to_text\t") || !strings.HasPrefix(lines[2], "text_to_image\t") {
			t.Errorf("tsv:\n%s", r.out)
		}
		for _, l := range lines[1:] {
			if f := strings.Split(l, "\t"); len(f) != 6 {
				t.Errorf("line %q", l)
			}
		}
	})
	t.Run("custom separator and columns, table", func(t *testing.T) {
		r := invocation{fake: &fakeModel{}, term: true}.run(t, append(base, "--data", filepath.Join(dir, "custom.txt"),
			"--csv-separator", "|", "--csv-img-key", "img", "--csv-caption-key", "cap")...)
		r.expect(t, exitOK)
		if !strings.HasPrefix(r.out, "2 image-caption pairs\n\nDIRECTION      R@1") || !strings.Contains(r.out, "\nimage_to_text  ") || !strings.Contains(r.out, "\ntext_to_image  ") {
			t.Errorf("table:\n%s", r.out)
		}
	})
	t.Run("tab separator spelled out", func(t *testing.T) {
		writeFiles(t, dir, map[string]string{"tabbed.txt": "filepath\ttitle\nimgs/1.png\tx\n"})
		invocation{fake: &fakeModel{}}.run(t, append(base, "--data", filepath.Join(dir, "tabbed.txt"), "--csv-separator", `\t`)...).expect(t, exitOK)
	})
	usage := []struct {
		name string
		args []string
		want string
	}{
		{"no data", nil, "no evaluation data: give --data TABLE.csv"},
		{"missing table", []string{"--data", filepath.Join(dir, "nope.csv")}, "nope.csv"},
		{"missing column", []string{"--data", filepath.Join(dir, "pairs.csv"), "--csv-img-key", "image"}, `no image column "image"`},
		{"bad separator", []string{"--data", filepath.Join(dir, "pairs.csv"), "--csv-separator", "ab"}, `invalid value "ab" for csv-separator`},
		{"format", []string{"--data", filepath.Join(dir, "pairs.csv"), "--format", "yaml"}, `invalid value "yaml" for format`},
	}
	for _, tc := range usage {
		t.Run(tc.name, func(t *testing.T) {
			inv := invocation{fake: &fakeModel{}}
			inv.run(t, append(base, tc.args...)...).expect(t, exitUsage, tc.want)
			if len(inv.fake.opened) > 0 {
				t.Error("model opened despite a usage error")
			}
		})
	}
}

// goldenImageFolder links the golden photos into a class-per-folder tree.
func goldenImageFolder(t *testing.T) (root string, files map[string][]string) {
	t.Helper()
	files = map[string][]string{
		"cat":    {"chelsea.png", "chelsea_tiny.png", "chelsea_wide.png"},
		"coffee": {"coffee_palette.png", "coffee_portrait.png"},
		"person": {"astronaut_q90.jpg", "camera.png"},
		"rocket": {"rocket_rgba.png"},
	}
	root = t.TempDir()
	for class, names := range files {
		if err := os.MkdirAll(filepath.Join(root, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if err := os.Symlink(golden.Path(t, "images", n), filepath.Join(root, class, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root, files
}

// TestEvalZeroShotGolden runs the real tiny model and checks every image's
// rank against clip classify's probabilities for the same labels and
// templates.
func TestEvalZeroShotGolden(t *testing.T) {
	root, files := goldenImageFolder(t)
	mdir := golden.Path(t, "tiny-vit")
	classes := []string{"cat", "coffee", "person", "rocket"}
	for _, templates := range [][]string{{"--template", "a photo of a {}."}, {"--templates", "simple"}} {
		t.Run(templates[1], func(t *testing.T) {
			r := runCLI(t, append([]string{"eval", "zeroshot", "--model", mdir, "--data", root, "--format", "json", "--batch-size", "3"}, templates...)...)
			r.expect(t, exitOK)
			z := parseZeroShot(t, r.out)

			args := append([]string{"classify", "--model", mdir, "--labels", strings.Join(classes, ","), "--top", "0", "--format", "json"}, templates...)
			c := runCLI(t, append(args, root)...)
			c.expect(t, exitOK)
			correct := map[string]int{}
			total := 0
			for _, rec := range parseJSONLines(t, c.out) {
				class := filepath.Base(filepath.Dir(rec.Image))
				if rec.Probs[0] == rec.Probs[1] {
					t.Fatalf("%s: tied probabilities, the test cannot tell the order", rec.Image)
				}
				if rec.Labels[0] == class {
					correct[class]++
				}
				total++
			}
			if z.N != total || total != 8 {
				t.Fatalf("eval scored %d images, classify %d, want 8", z.N, total)
			}
			var all int
			for i, class := range classes {
				pc := z.PerClass[i]
				want := float64(correct[class]) / float64(len(files[class]))
				if pc.Name != class || pc.N != len(files[class]) || math.Abs(pc.Top1-want) > 1e-12 {
					t.Errorf("class %s: %+v, classify gives top-1 %g", class, pc, want)
				}
				all += correct[class]
			}
			if math.Abs(z.Top1-float64(all)/8) > 1e-12 || z.Top5 != 1 {
				t.Errorf("top-1 %g top-5 %g, classify gives top-1 %g (and top-5 is 1 with 4 classes)", z.Top1, z.Top5, float64(all)/8)
			}
			t.Logf("%s: top-1 %g", templates[1], z.Top1)
		})
	}
}

// TestEvalRetrievalGolden runs the real tiny model and checks the recall
// and ranks against the features clip embed writes for the same images
// and captions.
func TestEvalRetrievalGolden(t *testing.T) {
	root, _ := goldenImageFolder(t)
	mdir := golden.Path(t, "tiny-vit")
	var images, captions []string
	var table strings.Builder
	table.WriteString("title\tfilepath\n")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		caption := fmt.Sprintf("a picture of %s number %d", filepath.Dir(rel), len(images))
		images, captions = append(images, p), append(captions, caption)
		fmt.Fprintf(&table, "%s\t%s\n", caption, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tsv := filepath.Join(root, "pairs.tsv")
	testfs.WriteFile(t, tsv, []byte(table.String()))
	r := runCLI(t, "eval", "retrieval", "--model", mdir, "--data", tsv, "--format", "json")
	r.expect(t, exitOK)
	got := parseRetrieval(t, r.out)

	out := t.TempDir()
	runCLI(t, append([]string{"embed", "--model", mdir, "--out", filepath.Join(out, "img.npy")}, images...)...).expect(t, exitOK)
	args := []string{"embed", "--model", mdir, "--out", filepath.Join(out, "txt.npy")}
	for _, c := range captions {
		args = append(args, "--text", c)
	}
	runCLI(t, args...).expect(t, exitOK)
	img, txt := readNPY(t, filepath.Join(out, "img.npy")), readNPY(t, filepath.Join(out, "txt.npy"))
	n, dim := len(images), img.Shape[1]
	sim := func(a, b []float32, i, j int) float64 {
		var s float64
		for k := range dim {
			s += float64(a[i*dim+k]) * float64(b[j*dim+k])
		}
		return s
	}
	ranks := func(a, b []float32) []int {
		r := make([]int, n)
		for i := range n {
			for j := range n {
				if sim(a, b, i, j) > sim(a, b, i, i)+1e-6 {
					r[i]++
				}
			}
		}
		return r
	}
	check := func(dir string, r []int, r1, r5, mean, median float64) {
		var hit1, hit5, sum float64
		for _, v := range r {
			if v < 1 {
				hit1++
			}
			if v < 5 {
				hit5++
			}
			sum += float64(v)
		}
		sorted := append([]int(nil), r...)
		sort.Ints(sorted)
		wantMedian := float64(sorted[(n-1)/2] + 1)
		if math.Abs(r1-hit1/float64(n)) > 1e-12 || math.Abs(r5-hit5/float64(n)) > 1e-12 ||
			math.Abs(mean-(sum/float64(n)+1)) > 1e-12 || median != wantMedian {
			t.Errorf("%s: recall@1 %g @5 %g mean rank %g median %g; embed features give ranks %v", dir, r1, r5, mean, median, r)
		}
	}
	if got.N != n {
		t.Fatalf("%d pairs, want %d", got.N, n)
	}
	check("image to text", ranks(img.Data, txt.Data), got.ImageToText.R1, got.ImageToText.R5, got.ImageToText.MeanRank, got.ImageToText.MedianRank)
	check("text to image", ranks(txt.Data, img.Data), got.TextToImage.R1, got.TextToImage.R5, got.TextToImage.MeanRank, got.TextToImage.MedianRank)
	t.Logf("retrieval over %d golden pairs: %s", n, strings.TrimSpace(r.out))
}
