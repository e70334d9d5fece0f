package tokenizer

//go:generate sh -c "python3 gen_entities.py > htmlentities_table.go"

import (
	"strings"
	"sync"
	"unicode/utf8"
)

var (
	entitiesOnce sync.Once
	// entityText maps a name of html5Entities (no '&') to its text.
	entityText map[string]string
)

func entities() map[string]string {
	entitiesOnce.Do(func() {
		entityText = make(map[string]string, len(html5Entities))
		for _, e := range html5Entities {
			entityText[e.name] = e.text
		}
	})
	return entityText
}

// htmlUnescape is Python's html.unescape: it replaces every character
// reference matched by
//
//	&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)
//
// Numeric references follow HTML5 (C1 numbers mean their Windows-1252
// characters, out-of-range and surrogate numbers give U+FFFD, other invalid
// code points vanish); a named reference is replaced when the name is in the
// HTML5 table, or else when its longest prefix of at least two characters is
// one of the legacy names allowed without a semicolon.
func htmlUnescape(s string) string {
	amp := strings.IndexByte(s, '&')
	if amp < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for amp >= 0 {
		b.WriteString(s[:amp])
		s = s[amp:]
		n, text := unescapeAt(s)
		if n == 0 {
			b.WriteByte('&')
			s = s[1:]
		} else {
			b.WriteString(text)
			s = s[n:]
		}
		amp = strings.IndexByte(s, '&')
	}
	b.WriteString(s)
	return b.String()
}

// unescapeAt decodes the character reference at the start of s (s[0] is
// '&'). It returns the byte length of the match and its replacement, or 0
// when no reference starts here.
func unescapeAt(s string) (int, string) {
	if len(s) >= 2 && s[1] == '#' {
		return unescapeNumeric(s)
	}
	// [^\t\n\f <&#;]{1,32};? counted in code points.
	end, count := 1, 0
	for end < len(s) && count < 32 {
		c := s[end]
		if c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' || c == ';' {
			break
		}
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		count++
	}
	if count == 0 {
		return 0, ""
	}
	if end < len(s) && s[end] == ';' {
		end++
	}
	name := s[1:end]
	ents := entities()
	if text, ok := ents[name]; ok {
		return end, text
	}
	// Longest prefix (at least two characters, shorter than the name) that
	// is a known name. Names are ASCII, so only the ASCII head can match.
	ascii := 0
	for ascii < len(name) && name[ascii] < 0x80 {
		ascii++
	}
	longest := min(ascii, len(name)-1)
	for x := longest; x >= 2; x-- {
		if text, ok := ents[name[:x]]; ok {
			return end, text + name[x:]
		}
	}
	return end, "&" + name
}

// unescapeNumeric decodes "&#123;" or "&#x7b;" (semicolon optional).
func unescapeNumeric(s string) (int, string) {
	i, base := 2, 10
	if i < len(s) && (s[i] == 'x' || s[i] == 'X') {
		i, base = 3, 16
	}
	start := i
	num := 0
	for i < len(s) && digitValue(s[i], base) >= 0 {
		if num <= 0x10FFFF {
			num = num*base + digitValue(s[i], base)
		}
		i++
	}
	if i == start {
		return 0, ""
	}
	if i < len(s) && s[i] == ';' {
		i++
	}
	return i, numericCharRef(num)
}

func digitValue(c byte, base int) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// invalidCharRefs are the numeric references HTML5 reinterprets: NUL, CR and
// the C1 range read as Windows-1252 (bytes undefined there stay C1).
var invalidCharRefs = map[int]string{
	0x00: "\uFFFD", 0x0D: "\r",
	0x80: "\u20AC", 0x81: "\u0081", 0x82: "\u201A", 0x83: "\u0192",
	0x84: "\u201E", 0x85: "\u2026", 0x86: "\u2020", 0x87: "\u2021",
	0x88: "\u02C6", 0x89: "\u2030", 0x8A: "\u0160", 0x8B: "\u2039",
	0x8C: "\u0152", 0x8D: "\u008D", 0x8E: "\u017D", 0x8F: "\u008F",
	0x90: "\u0090", 0x91: "\u2018", 0x92: "\u2019", 0x93: "\u201C",
	0x94: "\u201D", 0x95: "\u2022", 0x96: "\u2013", 0x97: "\u2014",
	0x98: "\u02DC", 0x99: "\u2122", 0x9A: "\u0161", 0x9B: "\u203A",
	0x9C: "\u0153", 0x9D: "\u009D", 0x9E: "\u017E", 0x9F: "\u0178",
}

// numericCharRef is the text of a numeric reference to num.
func numericCharRef(num int) string {
	if text, ok := invalidCharRefs[num]; ok {
		return text
	}
	if (num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF {
		return "\uFFFD"
	}
	if invalidCodePoint(num) {
		return ""
	}
	return string(rune(num))
}

// invalidCodePoint lists the code points that Python's html.unescape drops:
// most C0 and C1 controls, DEL and the Unicode noncharacters.
func invalidCodePoint(n int) bool {
	switch {
	case n >= 0x1 && n <= 0x8, n == 0xB, n >= 0xE && n <= 0x1F, n >= 0x7F && n <= 0x9F:
		return true
	case n >= 0xFDD0 && n <= 0xFDEF:
		return true
	case n&0xFFFE == 0xFFFE: // U+xFFFE and U+xFFFF in every plane
		return true
	}
	return false
}
