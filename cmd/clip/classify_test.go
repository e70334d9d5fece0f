package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/cpu"
)

type classifyLine struct {
	Image  string    `json:"image"`
	Labels []string  `json:"labels"`
	Probs  []float32 `json:"probs"`
}

func parseJSONLines(t *testing.T, out string) []classifyLine {
	t.Helper()
	var recs []classifyLine
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var r classifyLine
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestClassifyFormats(t *testing.T) {
	dir, mdir := embedFixture(t)
	a, b := filepath.Join(dir, "imgs", "a.jpg"), filepath.Join(dir, "one.png")
	base := []string{"classify", "--model", mdir, "--labels", "ant,bee", "--labels", "cat"}
	for _, format := range []string{"json", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			r := invocation{fake: &fakeModel{}}.run(t, append(base, "--format", format, "--top", "2", a, b)...)
			r.expect(t, exitOK)
			recs := parseJSONLines(t, r.out)
			if len(recs) != 2 || recs[0].Image != a || recs[1].Image != b {
				t.Fatalf("records %+v", recs)
			}
			for _, rec := range recs {
				if len(rec.Labels) != 2 || len(rec.Probs) != 2 || rec.Probs[0] < rec.Probs[1] {
					t.Errorf("want the 2 best labels, highest first: %+v", rec)
				}
			}
		})
	}
	t.Run("top 0 gives all, probabilities sum to 1", func(t *testing.T) {
		r := invocation{fake: &fakeModel{}}.run(t, append(base, "--format", "json", "--top", "0", a)...)
		r.expect(t, exitOK)
		rec := parseJSONLines(t, r.out)[0]
		labels := append([]string(nil), rec.Labels...)
		sort.Strings(labels)
		var sum float64
		for _, p := range rec.Probs {
			sum += float64(p)
		}
		if fmt.Sprint(labels) != "[ant bee cat]" || sum < 0.999999 || sum > 1.000001 {
			t.Errorf("labels %v, probabilities sum to %g", rec.Labels, sum)
		}
	})
	t.Run("default top is 5", func(t *testing.T) {
		r := invocation{fake: &fakeModel{}}.run(t, "classify", "--model", mdir, "--labels", "a,b,c,d,e,f,g", "--format", "json", a)
		if rec := parseJSONLines(t, r.out)[0]; len(rec.Labels) != 5 {
			t.Errorf("%d labels shown, want 5", len(rec.Labels))
		}
	})
	t.Run("tsv when piped", func(t *testing.T) {
		r := invocation{fake: &fakeModel{}}.run(t, append(base, "--top", "1", a, b)...)
		r.expect(t, exitOK)
		lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
		if len(lines) != 3 || lines[0] != "image\tlabel\tprob" {
			t.Fatalf("tsv output:\n%s", r.out)
		}
		for i, img := range []string{a, b} {
			f := strings.Split(lines[i+1], "\t")
			if len(f) != 3 || f[0] != img {
				t.Errorf("line %q", lines[i+1])
			}
			if p, err := strconv.ParseFloat(f[2], 32); err != nil || p <= 0 || p > 1 {
				t.Errorf("probability %q", f[2])
			}
		}
		if r2 := (invocation{fake: &fakeModel{}}).run(t, append(base, "--top", "1", "--format", "tsv", a, b)...); r2.out != r.out {
			t.Errorf("--format tsv differs from the piped default")
		}
	})
	t.Run("table on a terminal", func(t *testing.T) {
		r := invocation{fake: &fakeModel{}, term: true}.run(t, append(base, "--top", "2", a, b)...)
		r.expect(t, exitOK)
		lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
		if len(lines) != 5 || !strings.HasPrefix(lines[0], "IMAGE") || !strings.Contains(lines[0], "LABEL") || !strings.HasPrefix(lines[1], a) || !strings.HasPrefix(lines[2], " ") {
			t.Fatalf("table:\n%s", r.out)
		}
		col := strings.Index(lines[0], "PROB")
		for _, l := range lines[1:] {
			if len(l) < col+6 || l[col-1] != ' ' || !strings.HasPrefix(l[col:], "0.") && !strings.HasPrefix(l[col:], "1.") {
				t.Errorf("column not aligned: %q", l)
			}
		}
		if r2 := (invocation{fake: &fakeModel{}}).run(t, append(base, "--top", "2", "--format", "table", a, b)...); r2.out != r.out {
			t.Errorf("--format table differs from the terminal default")
		}
	})
}

func TestClassifyTemplates(t *testing.T) {
	dir, mdir := embedFixture(t)
	img := filepath.Join(dir, "one.png")
	tests := []struct {
		name  string
		args  []string
		texts int
		first string
	}{
		{"default", nil, 2, "a photo of a ant."},
		{"--template repeated", []string{"--template", "{}, drawn", "--template", "x {}"}, 4, "ant, drawn"},
		{"--templates openai", []string{"--templates", "openai"}, 160, "a bad photo of a ant."},
		{"--templates simple plus --template", []string{"--templates", "simple", "--template", "{}!"}, 16, "itap of a ant."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := invocation{fake: &fakeModel{}}
			inv.run(t, append(append([]string{"classify", "--model", mdir, "--labels", "ant,bee"}, tc.args...), img)...).expect(t, exitOK)
			if len(inv.fake.texts) != tc.texts || inv.fake.texts[0] != tc.first {
				t.Errorf("model saw %d prompts starting %q, want %d starting %q", len(inv.fake.texts), inv.fake.texts[0], tc.texts, tc.first)
			}
		})
	}
}

func TestClassifyLabelsFileAndBatchSize(t *testing.T) {
	dir, mdir := embedFixture(t)
	writeFiles(t, dir, map[string]string{"labels.txt": "  dog, black\n\ncat\r\n"})
	inv := invocation{fake: &fakeModel{}}
	r := inv.run(t, "classify", "--model", mdir, "--labels", "ant", "--labels-file", filepath.Join(dir, "labels.txt"),
		"--template", "{}", "--format", "json", "--top", "0", "--batch-size", "2", filepath.Join(dir, "imgs"))
	r.expect(t, exitOK)
	if fmt.Sprint(inv.fake.texts) != "[ant dog, black cat]" {
		t.Errorf("prompts %q", inv.fake.texts)
	}
	// 3 prompts then 4 images, in batches of at most 2.
	if fmt.Sprint(inv.fake.batches) != "[2 1 2 2]" {
		t.Errorf("model calls %v", inv.fake.batches)
	}
	if recs := parseJSONLines(t, r.out); len(recs) != 4 {
		t.Errorf("%d results, want 4", len(recs))
	}
}

func TestClassifyUsageErrors(t *testing.T) {
	dir, mdir := embedFixture(t)
	writeFiles(t, dir, map[string]string{"blank.txt": "\n \n", "dup.txt": "cat\ndog\n"})
	img := filepath.Join(dir, "one.png")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no labels", []string{img}, "no labels"},
		{"blank labels file", []string{"--labels-file", filepath.Join(dir, "blank.txt"), img}, "no labels"},
		{"empty label", []string{"--labels", "dog,,cat", img}, "label 2 is empty"},
		{"duplicate label", []string{"--labels", "cat", "--labels-file", filepath.Join(dir, "dup.txt"), img}, `duplicate label "cat" (positions 1 and 2)`},
		{"template without braces", []string{"--labels", "a", "--template", "a photo", img}, `template "a photo" has no {}`},
		{"unknown template set", []string{"--labels", "a", "--templates", "fancy", img}, `--templates "fancy": not a template set (openai, simple) and not a readable file`},
		{"no images", []string{"--labels", "a"}, "no images to classify"},
		{"missing labels file", []string{"--labels-file", filepath.Join(dir, "nope.txt"), img}, "nope.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := invocation{fake: &fakeModel{}}
			inv.run(t, append([]string{"classify", "--model", mdir}, tc.args...)...).expect(t, exitUsage, tc.want)
			if len(inv.fake.opened) > 0 {
				t.Error("model opened despite a usage error")
			}
		})
	}
}

func TestClassifyBadImage(t *testing.T) {
	dir, mdir := embedFixture(t)
	broken := filepath.Join(dir, "broken.png")
	r := invocation{fake: &fakeModel{}}.run(t, "classify", "--model", mdir, "--labels", "a,b", "--format", "jsonl",
		filepath.Join(dir, "one.png"), broken, filepath.Join(dir, "imgs", "b.png"))
	r.expect(t, exitFailure, "cannot read image "+broken, "1 of 3 images could not be read")
	if recs := parseJSONLines(t, r.out); len(recs) != 2 || recs[1].Image != filepath.Join(dir, "imgs", "b.png") {
		t.Errorf("good images not classified: %+v", recs)
	}
}

func TestClassifyFlagsReachThePipeline(t *testing.T) {
	dir, mdir := embedFixture(t)
	tok := filepath.Join(dir, "imgs", "notes.txt") // any existing file
	inv := invocation{fake: &fakeModel{}}
	inv.run(t, "classify", "--model", mdir, "--labels", "a,b", "--threads", "2", "--max-pixels", "99", "--tokenizer", tok, filepath.Join(dir, "one.png")).expect(t, exitOK)
	o := inv.fake.opts
	if be, ok := o.Backend.(*cpu.Backend); !ok || be.Threads() != 2 || o.MaxPixels != 99 || o.TokenizerPath != tok {
		t.Errorf("options %+v", o)
	}
}
