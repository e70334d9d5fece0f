package tokenizer

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func defaultTokenizer(t testing.TB) *Tokenizer {
	t.Helper()
	tok, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTokenizeLengths(t *testing.T) {
	tok := defaultTokenizer(t)
	word := strings.Repeat("x ", 200) // one id per "x"
	cases := []struct {
		name  string
		text  string
		ctx   int
		want  []int32
		check func(got []int32) string
	}{
		{name: "empty", text: "", ctx: 5, want: []int32{StartOfText, EndOfText, 0, 0, 0}},
		{name: "fits exactly", text: "x x x", ctx: 5},
		{name: "one too long", text: "x x x x", ctx: 5},
		{name: "much too long", text: word, ctx: 77},
		{name: "context 1", text: "x", ctx: 1, want: []int32{EndOfText}},
		{name: "context 2", text: "", ctx: 2, want: []int32{StartOfText, EndOfText}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tok.Tokenize(c.text, c.ctx)
			if c.want != nil && !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			// The rules of clip.tokenize(truncate=True).
			ids := tok.IDs(c.text)
			if len(got) != c.ctx {
				t.Fatalf("length %d, want %d", len(got), c.ctx)
			}
			if len(ids) <= c.ctx {
				for i := range got {
					w := int32(0)
					if i < len(ids) {
						w = int32(ids[i])
					}
					if got[i] != w {
						t.Fatalf("position %d: %d, want %d (ids %v, got %v)", i, got[i], w, ids, got)
					}
				}
				return
			}
			for i := 0; i < c.ctx-1; i++ {
				if got[i] != int32(ids[i]) {
					t.Fatalf("position %d: %d, want %d", i, got[i], ids[i])
				}
			}
			if got[c.ctx-1] != EndOfText {
				t.Fatalf("last id %d, want EndOfText", got[c.ctx-1])
			}
		})
	}
}

func TestTokenizePanicsOnBadContext(t *testing.T) {
	tok := defaultTokenizer(t)
	defer func() {
		if recover() == nil {
			t.Error("no panic for context length 0")
		}
	}()
	tok.Tokenize("x", 0)
}

func TestTokenizeBatch(t *testing.T) {
	tok := defaultTokenizer(t)
	texts := []string{"a photo of a cat", "", "Tom &amp; Jerry", strings.Repeat("long ", 100)}
	batch := tok.TokenizeBatch(texts, DefaultContextLength)
	if len(batch) != len(texts)*DefaultContextLength {
		t.Fatalf("batch length %d", len(batch))
	}
	for i, s := range texts {
		row := batch[i*DefaultContextLength : (i+1)*DefaultContextLength]
		if want := tok.Tokenize(s, DefaultContextLength); !reflect.DeepEqual(row, want) {
			t.Errorf("row %d: %v, want %v", i, row, want)
		}
	}
}

func TestEncodeSpecialTokens(t *testing.T) {
	tok := defaultTokenizer(t)
	got := tok.Encode("hello <|ENDOFTEXT|> world<|startoftext|>")
	want := tok.Encode("hello")
	want = append(want, EndOfText)
	want = append(want, tok.Encode("world")...)
	want = append(want, StartOfText)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// With a long s the text is no special token: plain BPE.
	for _, id := range tok.Encode("<|ſtartoftext|>") {
		if id == StartOfText {
			t.Error("<|ſtartoftext|> became the special token")
		}
	}
}

func TestDecode(t *testing.T) {
	tok := defaultTokenizer(t)
	for _, s := range []string{"a photo of a cat", "naïve café 東京 😀", "it's 2024!"} {
		want := Clean(s)
		got := strings.TrimSpace(tok.Decode(tok.Encode(s)))
		// Decoding puts a space after every word, also before punctuation
		// that followed a word directly; compare without spaces.
		if strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(want, " ", "") {
			t.Errorf("Decode(Encode(%q)) = %q, want %q", s, got, want)
		}
	}
	if got := tok.Decode([]int{StartOfText, -1, 1 << 30, EndOfText}); got != "<|startoftext|><|endoftext|>" {
		t.Errorf("special and unknown ids: %q", got)
	}
	if got := decodeUTF8Replace([]byte("a\xe2\x82b\xffc\xf0\x9f")); got != "a\ufffdb\ufffdc\ufffd" {
		t.Errorf("decodeUTF8Replace: %+q", got)
	}
}

// TestConcurrentUse encodes the same texts from several goroutines; run with
// -race to check the word cache.
func TestConcurrentUse(t *testing.T) {
	tok := defaultTokenizer(t)
	texts := captionCorpus(500)
	want := make([][]int, len(texts))
	for i, s := range texts {
		want[i] = tok.IDs(s)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := range texts {
				k := (i + g*61) % len(texts)
				if got := tok.IDs(texts[k]); !reflect.DeepEqual(got, want[k]) {
					errs <- fmt.Sprintf("goroutine %d, text %q: %v, want %v", g, texts[k], got, want[k])
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestWordCacheIsBounded(t *testing.T) {
	c := newWordCache()
	for i := 0; i < 2*cacheShards*cacheWordsPerShard; i++ {
		c.put(fmt.Sprintf("w%d", i), []int32{int32(i)})
	}
	total := 0
	for i := range c.shards {
		total += len(c.shards[i].m)
	}
	if total > cacheShards*cacheWordsPerShard {
		t.Errorf("cache holds %d words, bound %d", total, cacheShards*cacheWordsPerShard)
	}
	if ids, ok := c.get("w0"); ok && ids[0] != 0 {
		t.Errorf("w0 -> %v", ids)
	}
}
