package tokenizer

import (
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Character classes that point at UTF-8 mojibake (ftfy's UTF8_CLUES): the
// characters that the lead and continuation bytes of UTF-8 turn into when
// decoded with Latin-1 or one of the Windows code pages ftfy handles. They
// are derived here from the code pages themselves, which gives exactly
// ftfy's hand-written lists.
var (
	clueFirstOf2        runeSet // bytes C2..DF
	clueFirstOf3        runeSet // bytes E0..EF
	clueFirstOf4        runeSet // bytes F0 and F3 (other lead bytes give unassigned code points)
	clueContinuation    runeSet // bytes 80..BF, and a space standing for A0
	clueContinuationStr runeSet // the same without spaces, dashes, quotes, bullet, ellipsis
)

// clueEncodings are the code pages of the clue classes (Latin-1 aside),
// decoded strictly.
var clueEncodings = []*charmap.Charmap{
	charmap.Windows1252, charmap.Windows1251, charmap.Windows1250,
	charmap.Windows1253, charmap.Windows1254, charmap.Windows1257,
}

// initUTF8Clues builds the clue classes; initCodecs calls it once.
func initUTF8Clues() {
	decoded := func(bytes ...int) []rune {
		var rs []rune
		for _, b := range bytes {
			rs = append(rs, rune(b)) // Latin-1
			for _, cm := range clueEncodings {
				if r := cm.DecodeByte(byte(b)); r != utf8.RuneError {
					rs = append(rs, r)
				}
			}
		}
		return rs
	}
	byteSpan := func(lo, hi int) []int {
		var s []int
		for b := lo; b <= hi; b++ {
			s = append(s, b)
		}
		return s
	}
	clueFirstOf2 = newRuneSet(decoded(byteSpan(0xC2, 0xDF)...))
	clueFirstOf3 = newRuneSet(decoded(byteSpan(0xE0, 0xEF)...))
	clueFirstOf4 = newRuneSet(decoded(0xF0, 0xF3))
	cont := decoded(byteSpan(0x80, 0xBF)...)
	clueContinuation = newRuneSet(append(cont, ' '))
	// Characters that often stand for themselves next to mojibake.
	loose := newRuneSet([]rune("\u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u2022\u2026"))
	var strict []rune
	for _, r := range cont {
		if !loose.has(r) {
			strict = append(strict, r)
		}
	}
	clueContinuationStr = newRuneSet(strict)
}

// utf8DetectorAt matches ftfy's UTF8_DETECTOR_RE at rune index i of rs:
//
//	(?<![continuation_strict]) ( [first_of_2][continuation]
//	                           | [first_of_3][continuation]{2}
//	                           | [first_of_4][continuation]{3} )+
//
// and returns the index just past the match, or -1. Each repetition takes
// the first alternative that fits; since nothing follows the group, Python's
// backtracking engine never revisits that choice.
func utf8DetectorAt(rs []rune, i int) int {
	if i > 0 && clueContinuationStr.has(rs[i-1]) {
		return -1
	}
	j := i
	for {
		n := -1
		switch {
		case clueFirstOf2.has(at(rs, j)) && continuationRun(rs, j+1, 1):
			n = 2
		case clueFirstOf3.has(at(rs, j)) && continuationRun(rs, j+1, 2):
			n = 3
		case clueFirstOf4.has(at(rs, j)) && continuationRun(rs, j+1, 3):
			n = 4
		}
		if n < 0 {
			break
		}
		j += n
	}
	if j == i {
		return -1
	}
	return j
}

// at returns rs[i], or -1 past the end.
func at(rs []rune, i int) rune {
	if i < len(rs) {
		return rs[i]
	}
	return -1
}

func continuationRun(rs []rune, i, n int) bool {
	for k := 0; k < n; k++ {
		if !clueContinuation.has(at(rs, i+k)) {
			return false
		}
	}
	return true
}

// hasUTF8Mojibake reports whether UTF8_DETECTOR_RE matches anywhere in s.
func hasUTF8Mojibake(rs []rune) bool {
	for i := range rs {
		if utf8DetectorAt(rs, i) >= 0 {
			return true
		}
	}
	return false
}

// decodeInconsistentUTF8 is ftfy's fix for UTF-8 mojibake embedded in text
// of another encoding: every detector match (shorter than the whole text,
// so that this cannot recurse forever) that looks bad is fixed on its own.
func decodeInconsistentUTF8(s string) string {
	rs := []rune(s)
	var out []rune
	last := 0
	for i := 0; i < len(rs); {
		j := utf8DetectorAt(rs, i)
		if j < 0 {
			i++
			continue
		}
		sub := string(rs[i:j])
		out = append(out, rs[last:i]...)
		if j-i < len(rs) && isBad(rs[i:j]) {
			out = append(out, []rune(fixEncoding(sub))...)
		} else {
			out = append(out, rs[i:j]...)
		}
		last, i = j, j
	}
	if last == 0 {
		return s
	}
	return string(append(out, rs[last:]...))
}
