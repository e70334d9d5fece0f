package tokenizer

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestMergeLongMatchesShort checks the heap-based merge against the plain
// reference loop on random and repetitive words of many lengths.
func TestMergeLongMatchesShort(t *testing.T) {
	tok := defaultTokenizer(t)
	rng := rand.New(rand.NewPCG(5, 6))
	alphabets := []string{"abcdefghijklmnopqrstuvwxyz", "aab", "ab", "a", "eilnorst", "éa😀東京"}
	for trial := 0; trial < 400; trial++ {
		alpha := []rune(alphabets[trial%len(alphabets)])
		n := 1 + rng.IntN(300)
		var b strings.Builder
		for range n {
			b.WriteRune(alpha[rng.IntN(len(alpha))])
		}
		word := b.String()
		syms := make([]int32, len(word))
		for i := 0; i < len(word); i++ {
			syms[i] = tok.byteID[word[i]]
		}
		syms[len(syms)-1] = tok.byteEndID[word[len(word)-1]]
		short := tok.mergeShort(append([]int32(nil), syms...))
		long := tok.mergeLong(append([]int32(nil), syms...))
		if !reflect.DeepEqual(short, long) {
			t.Fatalf("%q: reference loop %v, heap %v", word, short, long)
		}
	}
}

// TestLongWordIsFast guards against the quadratic reference loop on very
// long words (a denial of service on untrusted captions).
func TestLongWordIsFast(t *testing.T) {
	tok := defaultTokenizer(t)
	rng := rand.New(rand.NewPCG(7, 8))
	b := make([]byte, 200_000)
	for i := range b {
		b[i] = byte('a' + rng.IntN(26))
	}
	if ids := tok.Encode(string(b)); len(ids) < 50_000 {
		t.Fatalf("only %d ids", len(ids))
	}
}
