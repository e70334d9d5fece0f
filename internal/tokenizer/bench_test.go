package tokenizer

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// captionCorpus returns n caption-like texts, the same every call: mostly
// plain English in the style of alt texts, with the capitals, punctuation,
// numbers, accents, entities, curly quotes and emoji that real captions
// carry now and then.
func captionCorpus(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(words []string) string { return words[rng.IntN(len(words))] }
	starts := []string{"a photo of", "an image of", "a close-up of", "a painting of", "a picture of", "A Photo Of", "illustration of", "stock photo:", "view of", ""}
	counts := []string{"a", "an", "the", "two", "three", "several", "many", "one", "4", "12"}
	adjectives := []string{"red", "small", "large", "old", "modern", "happy", "wooden", "vintage", "colorful", "black and white", "blurry", "beautiful", "tiny", "shiny", "Broken", "café-style", "naïve"}
	nouns := []string{"cat", "dog", "car", "house", "tree", "mountain", "beach", "city", "woman", "man", "child", "bicycle", "cup of coffee", "pizza", "robot", "bird", "boat", "street", "building", "flower", "laptop", "guitar"}
	places := []string{"in the park", "on a table", "at night", "in Paris", "on the beach", "under a blue sky", "in the snow", "next to a river", "at sunset", "in New York City", "in München", "near the Tōkyō tower"}
	extras := []string{"", "", "", "", ".", "!", "...", " &amp; friends", " (2019)", " #travel #photography", " — stock image", " “best shot”", " it's great", " 😀", " | Getty Images", " 1920x1080", " HD wallpaper", " don't miss"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s %s %s %s%s", pick(starts), pick(counts), pick(adjectives), pick(nouns), pick(places), pick(extras))
		if rng.IntN(4) == 0 {
			fmt.Fprintf(&b, " with a %s %s", pick(adjectives), pick(nouns))
		}
		out[i] = strings.TrimSpace(b.String())
	}
	return out
}

// BenchmarkTokenize100k tokenizes 100 000 captions to [77] rows per op.
func BenchmarkTokenize100k(b *testing.B) {
	tok, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	captions := captionCorpus(100_000)
	b.ResetTimer()
	for b.Loop() {
		_ = tok.TokenizeBatch(captions, DefaultContextLength)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e5, "ns/caption")
}
