package tokenizer

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/golden"
)

func TestEmbeddedVocabHash(t *testing.T) {
	sum := sha256.Sum256(openAIMerges)
	if got := hex.EncodeToString(sum[:]); got != openAIMergesSHA256 {
		t.Fatalf("embedded bpe_simple_vocab_16e6.txt.gz has sha256 %s, want %s", got, openAIMergesSHA256)
	}
}

func TestDefaultIsShared(t *testing.T) {
	a, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Default()
	if a != b {
		t.Error("Default built two tokenizers")
	}
	if a.VocabSize() != 49408 || a.sot != StartOfText || a.eot != EndOfText {
		t.Errorf("vocab %d, sot %d, eot %d", a.VocabSize(), a.sot, a.eot)
	}
}

// mergesText returns the decompressed embedded merges file.
func mergesText(t *testing.T) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(openAIMerges))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFilePlainText(t *testing.T) {
	p := write(t, t.TempDir(), "merges.txt.plain", mergesText(t))
	tok, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Default()
	for _, s := range []string{"a photo of a cat", "Ærøskøbing 東京 😀"} {
		if got, w := tok.IDs(s), want.IDs(s); !reflect.DeepEqual(got, w) {
			t.Errorf("%q: plain-text file gives %v, embedded %v", s, got, w)
		}
	}
}

// TestLoadErrors checks that broken files give errors that name the file
// (and the line where there is one) instead of panics.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	plain := mergesText(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	lines := strings.SplitAfter(string(plain), "\n")
	oneField := strings.Join(lines[:100], "") + "justone\n" + strings.Join(lines[101:], "")
	vocab, err := os.ReadFile(golden.Path(t, "tokenizer", "vocab.json"))
	if err != nil {
		t.Fatal(err)
	}
	hfMerges, err := os.ReadFile(golden.Path(t, "tokenizer", "merges.txt"))
	if err != nil {
		t.Fatal(err)
	}
	hfDir := func(name string, vocab, merges []byte) string {
		d := filepath.Join(dir, name)
		os.Mkdir(d, 0o755)
		if merges != nil {
			write(t, d, "merges.txt", merges)
		}
		return write(t, d, "vocab.json", vocab)
	}

	cases := []struct {
		name string
		load func() (*Tokenizer, error)
		want []string // substrings of the error
	}{
		{"missing file", func() (*Tokenizer, error) { return LoadFile(filepath.Join(dir, "nope.txt.gz")) }, []string{"nope.txt.gz"}},
		{"empty", func() (*Tokenizer, error) { return LoadFile(write(t, dir, "empty.txt.gz", nil)) }, []string{"empty.txt.gz", "empty file"}},
		{"truncated gzip", func() (*Tokenizer, error) {
			return LoadFile(write(t, dir, "trunc.txt.gz", gz.Bytes()[:gz.Len()/2]))
		}, []string{"trunc.txt.gz", "truncated"}},
		{"gzip header only", func() (*Tokenizer, error) { return LoadFile(write(t, dir, "hdr.txt.gz", gz.Bytes()[:5])) }, []string{"hdr.txt.gz", "gzip"}},
		{"too few merges", func() (*Tokenizer, error) {
			return LoadFile(write(t, dir, "short.txt", []byte(strings.Join(lines[:1000], ""))))
		}, []string{"short.txt:1000", "want 48894"}},
		{"merge with one field", func() (*Tokenizer, error) {
			return LoadFile(write(t, dir, "onefield.txt", []byte(oneField)))
		}, []string{"onefield.txt:101", "exactly two"}},
		{"vocab without merges", func() (*Tokenizer, error) { return LoadFile(hfDir("nomerges", vocab, nil)) }, []string{"merges.txt"}},
		{"vocab not json", func() (*Tokenizer, error) { return LoadFile(hfDir("notjson", []byte("{\"a\": "), hfMerges)) }, []string{"vocab.json"}},
		{"vocab missing a byte", func() (*Tokenizer, error) {
			return LoadFile(hfDir("nobyte", []byte(`{"<|startoftext|>": 0, "<|endoftext|>": 1}`), hfMerges))
		}, []string{"vocab.json", "missing"}},
		{"vocab with a repeated id", func() (*Tokenizer, error) {
			return LoadFile(hfDir("dupid", []byte(`{"a": 3, "b": 3}`), hfMerges))
		}, []string{"vocab.json", "id 3"}},
		{"merges line with one field", func() (*Tokenizer, error) {
			return LoadHF(hfDir("hfone", vocab, nil), write(t, dir, "bad_merges.txt", []byte("#version: 0.2\ni n\nt\n")))
		}, []string{"bad_merges.txt:3", "exactly two"}},
		{"merge of unknown tokens", func() (*Tokenizer, error) {
			return LoadHF(hfDir("hfunknown", vocab, nil), write(t, dir, "unknown_merges.txt", []byte("#version: 0.2\ni n\nqq zz\n")))
		}, []string{"unknown_merges.txt:3", "missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := c.load()
			if err == nil {
				t.Fatalf("no error (tokenizer %v)", tok != nil)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	if got := Find(dir); got != "" {
		t.Errorf("empty folder: %q", got)
	}
	sub := filepath.Join(dir, "tokenizer")
	os.Mkdir(sub, 0o755)
	write(t, sub, "vocab.json", []byte("{}"))
	if got := Find(dir); got != "" {
		t.Errorf("vocab.json without merges.txt: %q", got)
	}
	write(t, sub, "merges.txt", nil)
	if got, want := Find(dir), filepath.Join(sub, "vocab.json"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	write(t, dir, "other_merges.txt.gz", nil)
	if got, want := Find(dir), filepath.Join(dir, "other_merges.txt.gz"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	write(t, dir, "bpe_simple_vocab_16e6.txt.gz", nil)
	if got, want := Find(dir), filepath.Join(dir, "bpe_simple_vocab_16e6.txt.gz"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := Find(filepath.Join(dir, "missing")); got != "" {
		t.Errorf("missing folder: %q", got)
	}
}
