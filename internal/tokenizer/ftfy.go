package tokenizer

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// This file is ftfy 6.3.1's fix_text with its default configuration, the
// first step of OpenAI's basic_clean.

// maxDecodeLength is ftfy's max_decode_length: longer lines are fixed in
// pieces of this many code points.
const maxDecodeLength = 1_000_000

// maxFixRounds bounds ftfy's "repeat until nothing changes" loops. Real text
// settles in two or three rounds; an entity escaped n times over ("&amp;amp;")
// loses one level a round, so nesting deeper than this bound is where the
// result would differ from Python's, which has no bound.
const maxFixRounds = 128

// fixText is ftfy.fix_text(text): the text is fixed one line (ending with
// its "\n") at a time. HTML entities are decoded ("auto" mode) until a line
// containing '<' is seen: from that line on the text is taken to be HTML and
// left alone.
func fixText(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	unescape := true
	for pos := 0; pos < len(text); {
		end := len(text)
		if nl := strings.IndexByte(text[pos:], '\n'); nl >= 0 {
			end = pos + nl + 1
		}
		if n := utf8.RuneCountInString(text[pos:end]); n > maxDecodeLength {
			end = pos + runeOffset(text[pos:end], maxDecodeLength)
		}
		segment := text[pos:end]
		if unescape && strings.IndexByte(segment, '<') >= 0 {
			unescape = false
		}
		b.WriteString(fixSegment(segment, unescape))
		pos = end
	}
	return b.String()
}

// runeOffset is the byte offset of the n-th code point of s.
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// fixSegment is ftfy.fix_and_explain on one segment: every fixer in ftfy's
// order, repeated until the text stops changing.
func fixSegment(s string, unescape bool) string {
	for round := 0; round < maxFixRounds; round++ {
		orig := s
		if unescape {
			s = ftfyUnescapeHTML(s)
		}
		s = fixEncoding(s)
		s = fixC1Controls(s)
		s = fixLatinLigatures(s)
		s = fixCharacterWidth(s)
		s = uncurlQuotes(s)
		s = fixLineBreaks(s)
		// fix_surrogates has nothing to do: a Go string holds no surrogates.
		s = removeTerminalEscapes(s)
		s = removeControlChars(s)
		s = nfc(s)
		if s == orig {
			break
		}
	}
	return s
}

// fixEncoding is ftfy.fix_encoding: repair mojibake one layer at a time
// until none is left.
func fixEncoding(s string) string {
	for round := 0; round < maxFixRounds; round++ {
		fixed := fixEncodingStep(s)
		if fixed == s {
			break
		}
		s = fixed
	}
	return s
}

// fixEncodingStep is one step of ftfy's encoding repair.
func fixEncodingStep(s string) string {
	if isASCII(s) {
		return s
	}
	rs := []rune(s)
	if !isBad(rs) {
		return s
	}
	initCodecs()
	// Text that was UTF-8 decoded with a single-byte codec: encode it back
	// with each candidate codec and see whether the bytes are UTF-8.
	latin1Possible := false
	for _, enc := range charmapEncodings {
		if !enc.canEncode(s) {
			continue
		}
		if enc.name == "latin-1" {
			latin1Possible = true
		}
		b := enc.encodeString(s)
		// A space may stand for byte A0 (except in MacRoman, where that
		// would turn an en dash and a space into false positives).
		if enc.name != "macroman" && hasAlteredUTF8(b) {
			b = restoreByteA0(b)
		}
		if enc.sloppy {
			b = replaceLossySequences(b)
		}
		if bytes.IndexByte(b, 0xED) >= 0 || bytes.IndexByte(b, 0xC0) >= 0 {
			if fixed, ok := decodeUTF8Variants(b); ok {
				return fixed
			}
		} else if utf8.Valid(b) {
			return string(b)
		}
	}
	// UTF-8 mojibake embedded in otherwise fine text.
	if hasUTF8Mojibake(rs) {
		if fixed := decodeInconsistentUTF8(s); fixed != s {
			return fixed
		}
	}
	// Latin-1 text that was meant as Windows-1252. (ftfy first checks
	// whether "windows-1252" was a possible encoding, but its list only
	// names "sloppy-windows-1252", so that check never succeeds and this
	// branch runs whenever Latin-1 was possible.)
	if latin1Possible {
		b := make([]byte, 0, len(rs))
		for _, r := range rs {
			b = append(b, byte(r))
		}
		if fixed, ok := decodeWindows1252Strict(b); ok && fixed != s {
			return fixed
		}
	}
	if strings.ContainsFunc(s, isC1) {
		return fixC1Controls(s)
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
