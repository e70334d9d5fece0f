package tokenizer

import (
	"testing"
	"unicode/utf8"
)

// FuzzTokenize feeds arbitrary text (also invalid UTF-8) to the whole
// pipeline: it must not panic, and the output must follow the length rules
// of clip.tokenize. Its seed corpus runs in every `go test`.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"", " ", "a photo of a cat", "cafÃ©", "â€œquotedâ€\u009d", "&amp;amp;", "<p>&amp;</p>\n&lt;",
		"<|endoftext|>", "<|ſtartoftext|>'ſ", "ΟΔΥΣΣΕΥΣ İstanbul", "\x1b[31mred\x1b[0m", "\x00\x01\x7f\u0085",
		"í\u00a0½í¸\u008d", "\xff\xfe invalid \xed\xa0\x80", "ＣＬＩＰ ﬁ ｶﾀｶﾅ", "a\u0345b", "&#x110000;&#0;&#1234567",
		"Ã\u00a0 Ã s Ã quele", "×\u0090×\u0091", "😀👍🏽🇯🇵", "١٢٣ ½ ²",
	} {
		f.Add(s)
	}
	tok, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		clean := Clean(s)
		if !utf8.ValidString(clean) {
			t.Fatalf("Clean(%+q) is not UTF-8: %+q", s, clean)
		}
		ids := tok.IDs(s)
		if len(ids) < 2 || ids[0] != StartOfText || ids[len(ids)-1] != EndOfText {
			t.Fatalf("IDs(%+q) = %v", s, ids)
		}
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("IDs(%+q) has id %d", s, id)
			}
		}
		for _, ctx := range []int{1, 5, DefaultContextLength} {
			row := tok.Tokenize(s, ctx)
			if len(row) != ctx || (ctx > 1 && row[0] != StartOfText) {
				t.Fatalf("Tokenize(%+q, %d) = %v", s, ctx, row)
			}
			n := min(len(ids), ctx)
			for i := 0; i < n-1; i++ {
				if row[i] != int32(ids[i]) {
					t.Fatalf("Tokenize(%+q, %d)[%d] = %d, want %d", s, ctx, i, row[i], ids[i])
				}
			}
			if row[n-1] != EndOfText {
				t.Fatalf("Tokenize(%+q, %d)[%d] = %d, want EndOfText", s, ctx, n-1, row[n-1])
			}
			for _, pad := range row[n:] {
				if pad != 0 {
					t.Fatalf("Tokenize(%+q, %d) pads with %d", s, ctx, pad)
				}
			}
		}
	})
}
