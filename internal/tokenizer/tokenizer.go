package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Special token ids of OpenAI's vocabulary.
const (
	StartOfText          = 49406
	EndOfText            = 49407
	DefaultContextLength = 77
)

const (
	startOfTextToken = "<|startoftext|>"
	endOfTextToken   = "<|endoftext|>"
	endOfWord        = "</w>"
)

// Tokenizer is a byte-level BPE tokenizer with OpenAI's cleaning. It is
// immutable after loading apart from its word cache, and safe for concurrent
// use.
type Tokenizer struct {
	// decoder maps an id to its token text (byte-level characters).
	decoder []string
	// byteID and byteEndID are the ids of the single byte-level character
	// for each byte, alone and with "</w>" appended: the starting symbols of
	// the BPE of a word.
	byteID, byteEndID [256]int32
	// merges maps a pair of adjacent symbol ids to the rank of its merge
	// and the id of the merged symbol.
	merges map[uint64]merge
	// sot and eot are the ids of <|startoftext|> and <|endoftext|>.
	sot, eot int32
	cache    *wordCache
}

// merge is one BPE rule: lower rank merges first.
type merge struct {
	rank int32
	id   int32
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// VocabSize is the number of ids: one more than the largest id.
func (t *Tokenizer) VocabSize() int { return len(t.decoder) }

// Encode returns the BPE ids of text as SimpleTokenizer().encode(text) does:
// cleaned, split into words, each word byte-level BPE encoded; no start or
// end token is added. A literal "<|startoftext|>" or "<|endoftext|>" in the
// text (in any case, since the text is lower-cased first) becomes its
// special id.
func (t *Tokenizer) Encode(text string) []int {
	ids := make([]int, 0, len(text)/3+2)
	t.encode(text, func(id int32) { ids = append(ids, int(id)) })
	return ids
}

// IDs returns [StartOfText] + Encode(text) + [EndOfText], untruncated.
func (t *Tokenizer) IDs(text string) []int {
	ids := make([]int, 1, len(text)/3+4)
	ids[0] = int(t.sot)
	t.encode(text, func(id int32) { ids = append(ids, int(id)) })
	return append(ids, int(t.eot))
}

// Tokenize is clip.tokenize(text, contextLength, truncate=True) for one text:
// [StartOfText] + Encode(text) + [EndOfText], padded with 0 to contextLength;
// a longer sequence keeps its first contextLength ids with the last one
// replaced by EndOfText. It panics if contextLength < 1, where Python raises
// too.
func (t *Tokenizer) Tokenize(text string, contextLength int) []int32 {
	if contextLength < 1 {
		panic(fmt.Sprintf("tokenizer: context length %d < 1", contextLength))
	}
	out := make([]int32, contextLength)
	t.tokenizeInto(out, text)
	return out
}

// TokenizeBatch tokenizes every text like Tokenize into one row-major
// [len(texts), contextLength] slice, the layout of clip.tokenize(texts).
func (t *Tokenizer) TokenizeBatch(texts []string, contextLength int) []int32 {
	if contextLength < 1 {
		panic(fmt.Sprintf("tokenizer: context length %d < 1", contextLength))
	}
	out := make([]int32, len(texts)*contextLength)
	for i, text := range texts {
		t.tokenizeInto(out[i*contextLength:(i+1)*contextLength], text)
	}
	return out
}

// tokenizeInto fills row (zeroed, len >= 1) with the truncated ids of text.
func (t *Tokenizer) tokenizeInto(row []int32, text string) {
	row[0] = t.sot
	n := 1
	t.encode(text, func(id int32) {
		if n < len(row) {
			row[n] = id
		}
		n++
	})
	if n < len(row) {
		row[n] = t.eot
	} else {
		// Too long (or exactly full without room for EOT): the last slot
		// becomes EOT, as clip.tokenize does with truncate=True.
		row[len(row)-1] = t.eot
	}
}

// encode cleans text, splits it into words and calls emit with every BPE id
// in order.
func (t *Tokenizer) encode(text string, emit func(int32)) {
	var buf []int32
	splitWords(Clean(text), func(word string) {
		switch word {
		case startOfTextToken:
			emit(t.sot)
			return
		case endOfTextToken:
			emit(t.eot)
			return
		}
		ids, ok := t.cache.get(word)
		if !ok {
			buf = t.bpe(word, buf[:0])
			ids = make([]int32, len(buf))
			copy(ids, buf)
			t.cache.put(word, ids)
		}
		for _, id := range ids {
			emit(id)
		}
	})
}

// Decode turns ids back into text as SimpleTokenizer().decode does: token
// texts joined, byte-level characters mapped back to bytes, the bytes read as
// UTF-8 (invalid sequences become U+FFFD) and every "</w>" replaced by a
// space. Ids outside the vocabulary are skipped.
func (t *Tokenizer) Decode(ids []int) string {
	var b []byte
	for _, id := range ids {
		if id < 0 || id >= len(t.decoder) {
			continue
		}
		for _, r := range t.decoder[id] {
			if c, ok := charToByte(r); ok {
				b = append(b, c)
			}
		}
	}
	return strings.ReplaceAll(decodeUTF8Replace(b), endOfWord, " ")
}

// decodeUTF8Replace decodes b like Python's bytes.decode("utf-8", "replace"):
// each maximal ill-formed subsequence becomes one U+FFFD.
func decodeUTF8Replace(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r != utf8.RuneError || size > 1 {
			sb.WriteRune(r)
			b = b[size:]
			continue
		}
		sb.WriteRune(utf8.RuneError)
		b = b[maximalPrefix(b):]
	}
	return sb.String()
}

// maximalPrefix is the length (>= 1) of the longest prefix of b that starts
// a well-formed UTF-8 sequence without completing it: the unit that Python
// replaces by one U+FFFD.
func maximalPrefix(b []byte) int {
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch c := b[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c == 0xED:
		need, hi = 2, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		need = 2
	case c == 0xF0:
		need, lo = 3, 0x90
	case c == 0xF4:
		need, hi = 3, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for ; n <= need && n < len(b); n++ {
		if b[n] < lo || b[n] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return n
}
