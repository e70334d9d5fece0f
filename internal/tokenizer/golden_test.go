package tokenizer

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/clip-go/clip/internal/golden"
)

// goldenCase is one line of tokenizer/cases.jsonl, made with OpenAI's
// SimpleTokenizer and clip.tokenize.
type goldenCase struct {
	Text     string  `json:"text"`
	IDs      []int   `json:"ids"`
	Tokens77 []int32 `json:"tokens77"`
	Kind     string  `json:"kind"`
	Clean    string  `json:"clean"`
}

func readGoldenCases(t *testing.T) []goldenCase {
	t.Helper()
	path := golden.Path(t, "tokenizer", "cases.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("golden tokenizer cases: %v", err)
	}
	defer f.Close()
	var cases []goldenCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for line := 1; sc.Scan(); line++ {
		var c goldenCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s: no cases", path)
	}
	return cases
}

// firstDiff returns the first index where a and b differ (or the shorter
// length when one is a prefix of the other), or -1 when equal.
func firstDiff[T comparable](a, b []T) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func describe(c goldenCase) string { return fmt.Sprintf("[%s] %+q", c.Kind, c.Text) }

func TestGoldenClean(t *testing.T) {
	pass := 0
	cases := readGoldenCases(t)
	for _, c := range cases {
		got := Clean(c.Text)
		if got != c.Clean {
			gr, wr := []rune(got), []rune(c.Clean)
			t.Errorf("Clean %s\n got  %+q\n want %+q\n first difference at rune %d", describe(c), got, c.Clean, firstDiff(gr, wr))
			continue
		}
		pass++
	}
	t.Logf("clean: %d/%d cases pass", pass, len(cases))
}

func TestGoldenTokens(t *testing.T) {
	cases := readGoldenCases(t)
	dir := golden.Path(t, "tokenizer")
	loaders := []struct {
		name string
		load func() (*Tokenizer, error)
	}{
		{"embedded", Default},
		{"gz file", func() (*Tokenizer, error) { return LoadFile(dir + "/bpe_simple_vocab_16e6.txt.gz") }},
		{"hf", func() (*Tokenizer, error) { return LoadHF(dir+"/vocab.json", dir+"/merges.txt") }},
	}
	for _, l := range loaders {
		t.Run(l.name, func(t *testing.T) {
			tok, err := l.load()
			if err != nil {
				t.Fatal(err)
			}
			if tok.VocabSize() != 49408 {
				t.Errorf("vocab size %d, want 49408", tok.VocabSize())
			}
			pass := 0
			for _, c := range cases {
				ok := true
				if got := tok.IDs(c.Text); firstDiff(got, c.IDs) >= 0 {
					ok = false
					t.Errorf("IDs %s\n clean %+q\n got  %v\n want %v\n first difference at %d", describe(c), c.Clean, got, c.IDs, firstDiff(got, c.IDs))
				}
				if got := tok.Tokenize(c.Text, DefaultContextLength); firstDiff(got, c.Tokens77) >= 0 {
					ok = false
					t.Errorf("Tokenize %s\n got  %v\n want %v\n first difference at %d", describe(c), got, c.Tokens77, firstDiff(got, c.Tokens77))
				}
				if ok {
					pass++
				}
			}
			t.Logf("%s: %d/%d cases pass", l.name, pass, len(cases))
		})
	}
}
