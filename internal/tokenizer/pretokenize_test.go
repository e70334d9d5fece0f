package tokenizer

import (
	"reflect"
	"testing"
)

func TestSplitWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a photo of a cat", []string{"a", "photo", "of", "a", "cat"}},
		{"it's don't we'll", []string{"it", "'s", "don", "'t", "we", "'ll"}},
		{"''s 'x 'rex", []string{"''", "s", "'", "x", "'re", "x"}},
		{"'ſ <|ſtartoftext|>", []string{"'ſ", "<|ſtartoftext|>"}}, // IGNORECASE folds ſ to s
		{"x<|startoftext|>y<|endoftext|>", []string{"x", "<|startoftext|>", "y", "<|endoftext|>"}},
		{"<<|endoftext|>", []string{"<<|", "endoftext", "|>"}},
		{"<|endoftext", []string{"<|", "endoftext"}},
		{"2024-02-29", []string{"2", "0", "2", "4", "-", "0", "2", "-", "2", "9"}},
		{"x² ½ ١٢", []string{"x", "²", "½", "١", "٢"}},
		{"!?!... $$$", []string{"!?!...", "$$$"}},
		{"東京タワー😀😀", []string{"東京タワー", "😀😀"}},
		{"a\u0345b }\u0345", []string{"a", "b", "}"}}, // U+0345 matches no alternative
		{"naïve café", []string{"naïve", "café"}},
		{"e\u0301", []string{"e", "\u0301"}}, // a combining mark is not a letter
	}
	for _, c := range cases {
		var got []string
		splitWords(c.in, func(w string) { got = append(got, w) })
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitWords(%+q) = %+q, want %+q", c.in, got, c.want)
		}
	}
}
