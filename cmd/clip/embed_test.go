package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/cpu"
)

// embedFixture makes a model folder and fake images: img<k> holds k.
func embedFixture(t *testing.T) (dir, modelDir string) {
	t.Helper()
	dir = t.TempDir()
	writeFiles(t, dir, map[string]string{
		"model/weights":     "",
		"imgs/b.png":        "2",
		"imgs/a.jpg":        "1",
		"imgs/sub/c.webp":   "3",
		"imgs/notes.txt":    "9",
		"imgs/.hidden.png":  "9",
		"imgs/.cache/d.png": "9",
		"imgs/E.JPEG":       "5",
		"broken.png":        "bad",
		"one.png":           "7",
	})
	return dir, filepath.Join(dir, "model")
}

type idLine struct {
	Row   int     `json:"row"`
	Image *string `json:"image"`
	Text  *string `json:"text"`
}

func readIDs(t *testing.T, path string) []idLine {
	t.Helper()
	var ids []idLine
	for _, l := range readLinesFile(t, path) {
		var r idLine
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%s: %q: %v", path, l, err)
		}
		ids = append(ids, r)
	}
	return ids
}

func TestEmbedImages(t *testing.T) {
	dir, mdir := embedFixture(t)
	out := filepath.Join(dir, "out", "e.npy")
	if err := os.Mkdir(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	inv := invocation{fake: &fakeModel{}}
	r := inv.run(t, "embed", "--model", mdir, "--out", out, "--no-normalize", filepath.Join(dir, "imgs"), filepath.Join(dir, "one.png"))
	r.expect(t, exitOK, "wrote 5 images x 4 features")
	if r.out != "" {
		t.Errorf("stdout not empty: %q", r.out)
	}
	// Sorted walk, image extensions only (any case), hidden entries skipped,
	// then the named file.
	want := []string{"imgs/E.JPEG", "imgs/a.jpg", "imgs/b.png", "imgs/sub/c.webp", "one.png"}
	values := []float32{5, 1, 2, 3, 7}
	a := readNPY(t, out)
	if fmt.Sprint(a.Shape) != "[5 4]" {
		t.Fatalf("shape %v", a.Shape)
	}
	ids := readIDs(t, filepath.Join(dir, "out", "e.ids.jsonl"))
	for i, w := range want {
		if ids[i].Row != i || ids[i].Image == nil || *ids[i].Image != filepath.Join(dir, w) || ids[i].Text != nil {
			t.Errorf("ids line %d = %+v, want row %d image %s", i, ids[i], i, w)
		}
		if a.Data[i*4] != values[i] || a.Data[i*4+1] != 1 {
			t.Errorf("row %d = %v, want [%g 1 0 0]", i, a.Data[i*4:i*4+4], values[i])
		}
	}
	if got := dirEntries(t, filepath.Dir(out)); fmt.Sprint(got) != "[e.ids.jsonl e.npy]" {
		t.Errorf("output folder holds %v", got)
	}
}

func TestEmbedNormalizes(t *testing.T) {
	dir, mdir := embedFixture(t)
	out := filepath.Join(dir, "e.npy")
	invocation{fake: &fakeModel{}}.run(t, "embed", "--model", mdir, "--out", out, filepath.Join(dir, "imgs")).expect(t, exitOK)
	a := readNPY(t, out)
	for r := range a.Shape[0] {
		var ss float64
		for _, v := range a.Data[r*4 : r*4+4] {
			ss += float64(v) * float64(v)
		}
		if math.Abs(ss-1) > 1e-6 {
			t.Errorf("row %d has squared norm %g", r, ss)
		}
	}
}

func TestEmbedBadImage(t *testing.T) {
	dir, mdir := embedFixture(t)
	out := filepath.Join(dir, "e.npy")
	missing := filepath.Join(dir, "missing.png")
	inv := invocation{fake: &fakeModel{}}
	r := inv.run(t, "embed", "--model", mdir, "--out", out, "--no-normalize", "--batch-size", "2",
		filepath.Join(dir, "one.png"), filepath.Join(dir, "broken.png"), missing, filepath.Join(dir, "imgs", "b.png"))
	r.expect(t, exitFailure, "cannot read image "+filepath.Join(dir, "broken.png")+": not an image",
		"2 of 4 images could not be read:", "\n  "+filepath.Join(dir, "broken.png")+": not an image", "\n  "+missing)
	a := readNPY(t, out)
	if fmt.Sprint(a.Shape) != "[2 4]" || a.Data[0] != 7 || a.Data[4] != 2 {
		t.Errorf("good rows not written: shape %v data %v", a.Shape, a.Data)
	}
	ids := readIDs(t, filepath.Join(dir, "e.ids.jsonl"))
	if len(ids) != 2 || *ids[0].Image != filepath.Join(dir, "one.png") || *ids[1].Image != filepath.Join(dir, "imgs", "b.png") {
		t.Errorf("ids %+v", ids)
	}
}

func TestEmbedTexts(t *testing.T) {
	dir, mdir := embedFixture(t)
	writeFiles(t, dir, map[string]string{"caps.txt": "a cat\r\n\nthree word caption\n"})
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"--text keeps commas", "", []string{"--text", "a dog, running", "--text", "x"}, []string{"a dog, running", "x"}},
		{"--texts file keeps empty lines", "", []string{"--texts", filepath.Join(dir, "caps.txt")}, []string{"a cat", "", "three word caption"}},
		{"--texts stdin", "one\ntwo words", []string{"--texts", "-"}, []string{"one", "two words"}},
		{"--text then --texts", "z", []string{"--texts", "-", "--text", "first"}, []string{"first", "z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "t.npy")
			inv := invocation{fake: &fakeModel{}, stdin: tc.stdin}
			args := append([]string{"embed", "--model", mdir, "--out", out, "--no-normalize"}, tc.args...)
			inv.run(t, args...).expect(t, exitOK, fmt.Sprintf("wrote %d texts", len(tc.want)))
			a := readNPY(t, out)
			ids := readIDs(t, strings.TrimSuffix(out, ".npy")+".ids.jsonl")
			if a.Shape[0] != len(tc.want) || len(ids) != len(tc.want) {
				t.Fatalf("%d rows, %d ids, want %d", a.Shape[0], len(ids), len(tc.want))
			}
			for i, w := range tc.want {
				if ids[i].Text == nil || *ids[i].Text != w || ids[i].Image != nil {
					t.Errorf("id %d = %+v, want text %q", i, ids[i], w)
				}
				if a.Data[i*4] != float32(len(w)) || a.Data[i*4+1] != float32(len(strings.Fields(w))) {
					t.Errorf("row %d = %v for %q", i, a.Data[i*4:i*4+4], w)
				}
			}
		})
	}
}

func TestEmbedImageList(t *testing.T) {
	dir, mdir := embedFixture(t)
	list := filepath.Join(dir, "imgs", "b.png") + "\n\n" + filepath.Join(dir, "one.png") + "\r\n" + filepath.Join(dir, "imgs", "sub") + "\n"
	writeFiles(t, dir, map[string]string{"list.txt": list})
	for _, tc := range []struct {
		name, stdin, arg string
	}{{"file", "", filepath.Join(dir, "list.txt")}, {"stdin", list, "-"}} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "l.npy")
			inv := invocation{fake: &fakeModel{}, stdin: tc.stdin}
			// Positional images come first, then the list.
			inv.run(t, "embed", "--model", mdir, "--out", out, "--no-normalize", "--image-list", tc.arg, filepath.Join(dir, "imgs", "a.jpg")).expect(t, exitOK)
			a := readNPY(t, out)
			// A folder in the list is walked too (sub/c.webp holds 3).
			if got := []float32{a.Data[0], a.Data[4], a.Data[8], a.Data[12]}; fmt.Sprint(got) != "[1 2 7 3]" || a.Shape[0] != 4 {
				t.Errorf("rows %v of %v, want images 1 2 7 3", got, a.Shape)
			}
		})
	}
}

func TestEmbedUsageErrors(t *testing.T) {
	dir, mdir := embedFixture(t)
	writeFiles(t, dir, map[string]string{"empty/readme.txt": "x", "blank.txt": ""})
	img := filepath.Join(dir, "one.png")
	out := filepath.Join(dir, "u.npy")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"mixing", []string{"--out", out, "--text", "a", img}, "images and texts cannot be mixed"},
		{"mixing lists", []string{"--out", out, "--texts", img, "--image-list", img}, "cannot be mixed"},
		{"nothing", []string{"--out", out}, "nothing to embed"},
		{"no out", []string{img}, "--out FILE.npy is required"},
		{"out not npy", []string{"--out", filepath.Join(dir, "x.bin"), img}, "want a file name ending in .npy"},
		{"out folder missing", []string{"--out", filepath.Join(dir, "nope", "x.npy"), img}, "folder " + filepath.Join(dir, "nope") + " does not exist"},
		{"empty folder", []string{"--out", out, filepath.Join(dir, "empty")}, "no image files found in " + filepath.Join(dir, "empty")},
		{"empty image list", []string{"--out", out, "--image-list", filepath.Join(dir, "blank.txt")}, "no image files found in " + filepath.Join(dir, "blank.txt")},
		{"empty texts file", []string{"--out", out, "--texts", filepath.Join(dir, "blank.txt")}, "holds no captions"},
		{"missing texts file", []string{"--out", out, "--texts", filepath.Join(dir, "nope.txt")}, "nope.txt"},
		{"missing image list", []string{"--out", out, "--image-list", filepath.Join(dir, "nope.txt")}, "nope.txt"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := invocation{fake: &fakeModel{}}
			inv.run(t, append([]string{"embed", "--model", mdir}, tc.args...)...).expect(t, exitUsage, tc.want)
			if len(inv.fake.opened) > 0 {
				t.Error("model opened despite a usage error")
			}
		})
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("output written despite usage errors")
	}
}

func TestEmbedFlagsReachThePipeline(t *testing.T) {
	dir, mdir := embedFixture(t)
	tok := filepath.Join(dir, "imgs", "notes.txt") // any existing file
	inv := invocation{fake: &fakeModel{}}
	inv.run(t, "embed", "--model", mdir, "--out", filepath.Join(dir, "f.npy"), "--threads", "3", "--max-pixels", "1234",
		"--tokenizer", tok, "--batch-size", "2", filepath.Join(dir, "imgs")).expect(t, exitOK)
	o := inv.fake.opts
	if be, ok := o.Backend.(*cpu.Backend); !ok || be.Threads() != 3 {
		t.Errorf("backend %T with %v threads, want cpu with 3", o.Backend, o.Backend)
	}
	if o.MaxPixels != 1234 || o.TokenizerPath != tok || o.Logf == nil {
		t.Errorf("options %+v", o)
	}
	if fmt.Sprint(inv.fake.batches) != "[2 2]" {
		t.Errorf("model calls %v, want [2 2] for 4 images in batches of 2", inv.fake.batches)
	}
}

// TestEmbedNeverLeavesPartialOutput runs into a model failure and an
// interrupt: no output file appears and an existing one is untouched.
func TestEmbedNeverLeavesPartialOutput(t *testing.T) {
	dir, mdir := embedFixture(t)
	outDir := filepath.Join(dir, "out")
	writeFiles(t, outDir, map[string]string{"e.npy": "previous", "e.ids.jsonl": "previous"})
	out := filepath.Join(outDir, "e.npy")
	imgs := filepath.Join(dir, "imgs")

	failing := &fakeModel{failAt: 3}
	invocation{fake: failing}.run(t, "embed", "--model", mdir, "--out", out, "--batch-size", "1", imgs).expect(t, exitFailure, "device on fire")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := &fakeModel{onBatch: cancel}
	invocation{fake: interrupted, ctx: ctx}.run(t, "embed", "--model", mdir, "--out", out, "--batch-size", "1", imgs).expect(t, exitInterrupted, "interrupted")
	if interrupted.rows >= 4 {
		t.Errorf("the interrupt did not stop the run: %d rows embedded", interrupted.rows)
	}

	if got := dirEntries(t, outDir); fmt.Sprint(got) != "[e.ids.jsonl e.npy]" {
		t.Errorf("output folder holds %v (temporary files left?)", got)
	}
	for _, name := range []string{"e.npy", "e.ids.jsonl"} {
		if b, _ := os.ReadFile(filepath.Join(outDir, name)); string(b) != "previous" {
			t.Errorf("%s was modified: %q", name, b)
		}
	}
}

func TestEmbedProgressBar(t *testing.T) {
	dir, mdir := embedFixture(t)
	for _, term := range []bool{false, true} {
		r := invocation{fake: &fakeModel{}, term: term}.run(t, "embed", "--model", mdir, "--out", filepath.Join(dir, "p.npy"), filepath.Join(dir, "imgs"))
		r.expect(t, exitOK)
		if got := strings.Contains(r.errOut, "images"); !got {
			t.Errorf("term=%v: no summary on stderr: %q", term, r.errOut)
		}
		if bar := strings.Contains(r.errOut, "/4, "); bar != term {
			t.Errorf("term=%v: progress bar shown = %v:\n%q", term, bar, r.errOut)
		}
	}
}
