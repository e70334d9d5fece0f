package tokenizer

import (
	_ "embed" // for the vocabulary below
	"sync"
)

// openAIMerges is OpenAI's bpe_simple_vocab_16e6.txt.gz (MIT licence), the
// merges file that clip.tokenize uses, copied unchanged from openai/CLIP.
//
//go:embed bpe_simple_vocab_16e6.txt.gz
var openAIMerges []byte

// openAIMergesSHA256 is the digest of the file in openai/CLIP; a test keeps
// the embedded copy honest.
const openAIMergesSHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"

var (
	defaultOnce sync.Once
	defaultTok  *Tokenizer
	defaultErr  error
)

// Default returns the tokenizer of OpenAI's CLIP models, built from the
// embedded bpe_simple_vocab_16e6.txt.gz on first use and shared afterwards.
func Default() (*Tokenizer, error) {
	defaultOnce.Do(func() {
		defaultTok, defaultErr = parseMergesFile("bpe_simple_vocab_16e6.txt.gz (embedded)", openAIMerges)
	})
	return defaultTok, defaultErr
}
