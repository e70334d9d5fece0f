package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Clean returns text as OpenAI's tokenizer sees it before splitting:
// whitespace_clean(basic_clean(text)).lower(), that is ftfy.fix_text (ftfy
// 6.3.1), html.unescape twice, strip, every run of white space replaced by
// one space, strip again, and Python's str.lower.
//
// Go strings may hold bytes that are not UTF-8, which a Python str cannot;
// each such byte is read as U+FFFD.
func Clean(text string) string {
	if isPlainASCII(text) {
		return cleanPlainASCII(text)
	}
	if !utf8.ValidString(text) {
		// Ranging over a string yields U+FFFD for each invalid byte.
		text = string([]rune(text))
	}
	s := fixText(text)
	s = htmlUnescape(htmlUnescape(s))
	s = collapseSpace(s)
	return pyLower(s)
}

// isPlainASCII reports whether every cleaning step except the white-space
// and case steps leaves text unchanged: printable ASCII and the white-space
// controls ftfy keeps, and no '&' that could start an entity. Most captions
// take this path.
func isPlainASCII(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 0x7F || c == '&' || (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
			return false
		}
	}
	return true
}

// cleanPlainASCII collapses white space, strips and lower-cases ASCII text
// in one pass.
func cleanPlainASCII(text string) string {
	b := make([]byte, 0, len(text))
	space := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == ' ' || (c >= '\t' && c <= '\r') {
			space = true
			continue
		}
		if space && len(b) > 0 {
			b = append(b, ' ')
		}
		space = false
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

// collapseSpace is Python's strip, re.sub(r'\s+', ' ', ...) with the
// `regex` module, then strip again. (strip also removes U+001C..U+001F, which
// \s does not match; cleaning never leaves those characters anyway.)
func collapseSpace(s string) string {
	s = strings.TrimFunc(s, isPyStrSpace)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimFunc(b.String(), isPyStrSpace)
}
