package tokenizer

import (
	"math/rand/v2"
	"testing"
)

func TestClean(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"  A Photo\tOF a\r\nCAT  ", "a photo of a cat"},
		{"Tom &amp; Jerry", "tom & jerry"},
		{"&amp;amp;amp;amp;", "&"},                           // ftfy unescapes until nothing changes
		{"<b>&amp;amp;amp;</b>", "<b>&amp;</b>"},             // '<': only the two html.unescape passes
		{"&AMP; &Amp; &LT;", "& &amp; <"},                    // &Amp; is no entity
		{"&notanentity; &amp", "¬anentity; &"},               // legacy names need no semicolon
		{"&#0; &#65; &#x41; &#1234567; &#x80;", "� a a � €"}, // HTML5 numeric rules
		{"&#1; &#x7f; &#xfffe;", ""},                         // invalid code points vanish
		{"cafÃ©", "café"},
		{"ÎΣ ΟΔΥΣΣΕΥΣ Σ", "îς οδυσσευς σ"},
		{"İstanbul", "i\u0307stanbul"},
		{"ﬁne ＣＬＩＰ\u3000ｍｏｄｅｌ", "fine clip model"},
		{"a\x0bb\x0cc\x1fd", "ab cd"},
		{"next\u0085line", "next…line"},
		{"zero\u200bwidth", "zero\u200bwidth"},
		{"non\u00a0breaking\u2028line", "non breaking line"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"bad \xff byte", "bad \ufffd byte"},
	}
	for _, c := range cases {
		if got := Clean(c.in); got != c.want {
			t.Errorf("Clean(%+q)\n got  %+q\n want %+q", c.in, got, c.want)
		}
	}
}

// TestCleanPlainASCIIPath checks that the ASCII shortcut agrees with the full
// cleaning pipeline on random ASCII text.
func TestCleanPlainASCIIPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("aZ09 .,'\"<>|!?-_\t\n\r\f;#")
	for range 2000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(b)
		if !isPlainASCII(s) {
			t.Fatalf("isPlainASCII(%+q) = false", s)
		}
		slow := pyLower(collapseSpace(htmlUnescape(htmlUnescape(fixText(s)))))
		if fast := cleanPlainASCII(s); fast != slow {
			t.Fatalf("%+q: shortcut %+q, pipeline %+q", s, fast, slow)
		}
	}
}

func TestHTMLUnescape(t *testing.T) {
	cases := []struct{ in, want string }{
		{"no entities", "no entities"},
		{"&amp;&lt;&gt;&quot;&#39;", "&<>\"'"},
		{"&ampx &ampx;", "&x &x;"},               // longest legacy prefix
		{"&copy2024", "©2024"},                   // legacy name without semicolon
		{"&Amp; &#; &#x; &", "&Amp; &#; &#x; &"}, // not references
		{"&#x1F600;&#128512", "😀😀"},
		{"&#x110000; &#xD800;", "\ufffd \ufffd"},
		{"&#13; &#150;", "\r –"},
		{"&NotNestedGreaterGreater;", "⪢̸"}, // two code points
		{"&" + "abcdefghijklmnopqrstuvwxyzabcdefghij;", "&abcdefghijklmnopqrstuvwxyzabcdefghij;"},
	}
	for _, c := range cases {
		if got := htmlUnescape(c.in); got != c.want {
			t.Errorf("htmlUnescape(%+q) = %+q, want %+q", c.in, got, c.want)
		}
	}
}

func TestPyLower(t *testing.T) {
	cases := []struct{ in, want string }{
		{"ABC", "abc"},
		{"İ", "i\u0307"},
		{"Σ", "σ"},     // no cased letter before: not final
		{"ΑΣ", "ας"},   // final
		{"ΑΣΑ", "ασα"}, // medial
		{"ΑΣ'", "ας'"}, // case-ignorable after
		{"Α'Σ", "α'ς"}, // case-ignorable between
		{"ΑΣ\u0301Β", "ασ\u0301β"},
		{"ẞ Ω K", "ß ω k"}, // capital sharp s, ohm sign, Kelvin sign
	}
	for _, c := range cases {
		if got := pyLower(c.in); got != c.want {
			t.Errorf("pyLower(%+q) = %+q, want %+q", c.in, got, c.want)
		}
	}
}
