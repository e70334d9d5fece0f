package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyLower is Python's str.lower: the full lower-case mapping, which differs
// from Go's per-rune unicode.ToLower in two places:
//
//   - U+0130 (İ) lowers to "i" + U+0307 COMBINING DOT ABOVE, its only
//     unconditional multi-character mapping in SpecialCasing.txt;
//   - U+03A3 (Σ) becomes final sigma ς at the end of a word (the Final_Sigma
//     condition), σ elsewhere.
func pyLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch r {
		case 'İ':
			b.WriteString("i\u0307")
		case 'Σ':
			if finalSigma(s, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma reports whether the Σ at byte offset i of s is in the
// Final_Sigma context as CPython tests it: a cased letter before it and no
// cased letter after it, skipping case-ignorable characters on both sides.
func finalSigma(s string, i int) bool {
	casedBefore := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if !isCaseIgnorable(r) {
			casedBefore = isCased(r)
			break
		}
	}
	if !casedBefore {
		return false
	}
	for k := i + len("Σ"); k < len(s); {
		r, size := utf8.DecodeRuneInString(s[k:])
		k += size
		if !isCaseIgnorable(r) {
			return !isCased(r)
		}
	}
	return true
}

// isCased is Unicode's Cased property: Lu, Ll, Lt, Other_Lowercase,
// Other_Uppercase.
func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isCaseIgnorable is Unicode's Case_Ignorable property: Mn, Me, Cf, Lm, Sk
// and the Word_Break classes MidLetter, MidNumLet and Single_Quote (listed
// here because Go's tables lack Word_Break).
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019,
		0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07, 0xFF0E, 0xFF1A:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// fullUpper holds the unconditional multi-character upper-case mappings of
// SpecialCasing.txt for Latin and Armenian letters and ligatures and two
// Greek letters, which Python's str.upper applies and unicode.ToUpper
// cannot. Only HTML entity values are upper-cased here; the table of
// upper-case entities built with it equals Python's (see
// TestFTFYEntityTable).
var fullUpper = map[rune]string{
	'\u00df': "SS",                 // ß
	'\u0149': "\u02bcN",            // ŉ
	'\u01f0': "J\u030c",            // ǰ
	'\u1e96': "H\u0331",            // ẖ
	'\u1e97': "T\u0308",            // ẗ
	'\u1e98': "W\u030a",            // ẘ
	'\u1e99': "Y\u030a",            // ẙ
	'\u1e9a': "A\u02be",            // ẚ
	'\ufb00': "FF",                 // ﬀ
	'\ufb01': "FI",                 // ﬁ
	'\ufb02': "FL",                 // ﬂ
	'\ufb03': "FFI",                // ﬃ
	'\ufb04': "FFL",                // ﬄ
	'\ufb05': "ST",                 // ﬅ
	'\ufb06': "ST",                 // ﬆ
	'\u0587': "\u0535\u0552",       // և
	'\ufb13': "\u0544\u0546",       // ﬓ
	'\ufb14': "\u0544\u0535",       // ﬔ
	'\ufb15': "\u0544\u053b",       // ﬕ
	'\ufb16': "\u054e\u0546",       // ﬖ
	'\ufb17': "\u0544\u053d",       // ﬗ
	'\u0390': "\u0399\u0308\u0301", // ΐ
	'\u03b0': "\u03a5\u0308\u0301", // ΰ
}

// pyUpper is Python's str.upper for the texts it is used on here (HTML
// entity values): per-character upper case plus the mappings in fullUpper.
func pyUpper(s string) string {
	var b strings.Builder
	for _, r := range s {
		if u, ok := fullUpper[r]; ok {
			b.WriteString(u)
		} else {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}
