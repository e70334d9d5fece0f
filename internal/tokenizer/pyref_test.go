package tokenizer

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"testing"
)

// TestPythonReference checks the steps around ftfy (html.unescape, strip and
// white-space collapsing, str.lower) and the pre-tokenizer against what
// Python and the `regex` module make of 1000 random strings
// (testdata/gen_pyref.py).
func TestPythonReference(t *testing.T) {
	f, err := os.Open("testdata/pyref.jsonl.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	n := 0
	for sc.Scan() {
		var c struct {
			Text, Unescape, Collapse, Lower string
			Words                           []string
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		if got := htmlUnescape(c.Text); got != c.Unescape {
			t.Errorf("htmlUnescape(%+q)\n got  %+q\n want %+q", c.Text, got, c.Unescape)
		}
		if got := collapseSpace(c.Text); got != c.Collapse {
			t.Errorf("collapseSpace(%+q)\n got  %+q\n want %+q", c.Text, got, c.Collapse)
		}
		if got := pyLower(c.Text); got != c.Lower {
			t.Errorf("pyLower(%+q)\n got  %+q\n want %+q", c.Text, got, c.Lower)
		}
		var words []string
		splitWords(pyLower(c.Collapse), func(w string) { words = append(words, w) })
		if i := firstDiff(words, c.Words); i >= 0 {
			t.Errorf("splitWords(%+q)\n got  %+q\n want %+q\n first difference at %d", c.Collapse, words, c.Words, i)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 1000 {
		t.Fatalf("only %d reference rows", n)
	}
}
