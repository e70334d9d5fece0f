// Package tokenizer reproduces OpenAI CLIP's SimpleTokenizer and clip.tokenize.
package tokenizer

// Special token ids of OpenAI's vocabulary.
const (
	StartOfText          = 49406
	EndOfText            = 49407
	DefaultContextLength = 77
)

// Tokenizer is a byte-level BPE tokenizer with OpenAI's cleaning. Safe for
// concurrent use.
type Tokenizer struct{}

// Default returns the tokenizer built from the embedded
// bpe_simple_vocab_16e6.txt.gz.
func Default() (*Tokenizer, error) { panic("stub") }

// LoadFile loads bpe_simple_vocab_16e6.txt.gz (gzip or plain), or vocab.json
// with merges.txt beside it.
func LoadFile(path string) (*Tokenizer, error) { panic("stub") }

// LoadHF loads HuggingFace vocab.json + merges.txt.
func LoadHF(vocabPath, mergesPath string) (*Tokenizer, error) { panic("stub") }

// Find locates tokenizer files in a model folder; "" if none.
func Find(dir string) string { panic("stub") }

// Encode returns the BPE ids of text without start/end tokens.
func (t *Tokenizer) Encode(text string) []int { panic("stub") }

// IDs returns [SOT] + Encode(text) + [EOT], untruncated.
func (t *Tokenizer) IDs(text string) []int { panic("stub") }

// Tokenize is clip.tokenize(text, contextLength, truncate=True).
func (t *Tokenizer) Tokenize(text string, contextLength int) []int32 { panic("stub") }
