package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestNFCLongMarkRuns(t *testing.T) {
	// Python: the 20 U+0316 (class 220) sort before the 20 U+0301 (230),
	// the first U+0301 composes with 'a', and no CGJ appears.
	in := "a" + strings.Repeat("\u0301\u0316", 20) + "b"
	want := "á" + strings.Repeat("\u0316", 20) + strings.Repeat("\u0301", 19) + "b"
	if got := nfc(in); got != want {
		t.Errorf("nfc(%+q)\n got  %+q\n want %+q", in, got, want)
	}
	// A CGJ that was in the text stays.
	in = "e\u034f\u0301"
	if got := nfc(in); got != in {
		t.Errorf("nfc(%+q) = %+q", in, got)
	}
}

// TestNFCSlowMatchesNorm checks the textbook algorithm against x/text on
// short runs, where x/text is exact.
func TestNFCSlowMatchesNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"a", "e", "A", "o", "u", "z", "á", "ạ", "ǖ", "ᾳ", "\u0301", "\u0300", "\u0323", "\u0308",
		"\u0345", "\u0316", "\u05b0", "\u0591", "क", "\u093c", "\u094d", "か", "\u3099", "\u1100", "\u1161",
		"\u11a8", "가", "\u0b47", "\u0b3e", "\u0d4a", "Å", "\u212b", "\u0958", " "}
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := nfcSlow(s), norm.NFC.String(s); got != want {
			t.Fatalf("nfcSlow(%+q) = %+q, want %+q", s, got, want)
		}
	}
}
