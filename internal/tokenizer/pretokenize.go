package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// splitWords calls emit with every match of simple_tokenizer.py's pattern
//
//	<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//
// compiled with IGNORECASE by the `regex` module, in order, as regex.findall
// does. At each position the alternatives are tried in that order and the
// first that matches wins; white space that no alternative matches is
// skipped. The scanner is written out by hand: it needs no backtracking
// (every repetition is greedy over a class that the following alternatives
// cannot extend) and is much faster than a regular-expression engine.
func splitWords(s string, emit func(string)) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '<':
			if n := matchFold(s[i:], startOfTextToken); n > 0 {
				emit(s[i : i+n])
				i += n
				continue
			}
			if n := matchFold(s[i:], endOfTextToken); n > 0 {
				emit(s[i : i+n])
				i += n
				continue
			}
		case r == '\'':
			if n := matchContraction(s[i:]); n > 0 {
				emit(s[i : i+n])
				i += n
				continue
			}
		case unicode.IsLetter(r):
			j := i + size
			for j < len(s) {
				r, n := utf8.DecodeRuneInString(s[j:])
				if !unicode.IsLetter(r) {
					break
				}
				j += n
			}
			emit(s[i:j])
			i = j
			continue
		case unicode.IsNumber(r):
			emit(s[i : i+size])
			i += size
			continue
		case isSpace(r) || r == ypogegrammeni:
			i += size
			continue
		}
		// [^\s\p{L}\p{N}]+ (also reached by '<' and '\'' when their own
		// alternatives do not match).
		j := i + size
		for j < len(s) {
			r, n := utf8.DecodeRuneInString(s[j:])
			if isSpace(r) || unicode.IsLetter(r) || unicode.IsNumber(r) || r == ypogegrammeni {
				break
			}
			j += n
		}
		emit(s[i:j])
		i = j
	}
}

// ypogegrammeni (U+0345 COMBINING GREEK YPOGEGRAMMENI) is the one character
// that no alternative matches although it is not white space: it is a mark
// (Mn), so [\p{L}]+ rejects it, but under IGNORECASE the `regex` module also
// tests the negated class [^\s\p{L}\p{N}] against its case variants, one of
// which is the letter ι. findall therefore skips it. (Checked over every code
// point against regex 2022.10.31; Go's Unicode 15 tables give the same
// classes for all others.)
const ypogegrammeni = 0x345

// contractions are the suffix alternatives in the order the pattern lists
// them (none is a prefix of another, so the order does not change results).
var contractions = [...]string{"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"}

// matchContraction returns the byte length of the contraction at the start
// of s, or 0.
func matchContraction(s string) int {
	for _, c := range contractions {
		if n := matchFold(s, c); n > 0 {
			return n
		}
	}
	return 0
}

// matchFold returns the byte length of the prefix of s that equals the ASCII
// literal lit under IGNORECASE, or 0. Like the regex module, two characters
// match when they are in the same simple case-folding orbit, so "ſ" (long s)
// matches "s" and "K" (Kelvin sign) matches "k".
func matchFold(s, lit string) int {
	i := 0
	for k := 0; k < len(lit); k++ {
		if i >= len(s) {
			return 0
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !foldEqual(r, rune(lit[k])) {
			return 0
		}
		i += size
	}
	return i
}

// foldEqual reports whether r and p are equal ignoring case.
func foldEqual(r, p rune) bool {
	if r == p {
		return true
	}
	for f := unicode.SimpleFold(p); f != p; f = unicode.SimpleFold(f) {
		if f == r {
			return true
		}
	}
	return false
}

// isSpace is \s of the `regex` module that simple_tokenizer.py imports: the
// Unicode White_Space characters.
func isSpace(r rune) bool {
	if r < 0x80 {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return unicode.Is(unicode.White_Space, r)
}

// isPyStrSpace is Python's str.isspace, used by str.strip and by \s of the
// standard `re` module: White_Space plus U+001C..U+001F, which Python counts
// as separators.
func isPyStrSpace(r rune) bool {
	return isSpace(r) || (r >= 0x1C && r <= 0x1F)
}
