package tokenizer

import (
	"sync"
	"unicode"
)

// ftfy decides whether text is mojibake with a heuristic (badness.py): a few
// hundred characters that UTF-8 mojibake is made of are sorted into
// categories, and text is "bad" when two or three of them meet in an
// improbable order, such as an accented lower-case letter followed by a
// currency sign. ftfy writes the heuristic as one big regular expression in
// which every alternative is a fixed-length sequence of character classes;
// here each alternative is a slice of class tests tried at every position.

// Categories of mojibake characters (MOJIBAKE_CATEGORIES).
var (
	// Characters that appear in many contexts and prove nothing alone.
	mbCommon = chars("\u00a0\u00ad\u00b7\u00b4\u2013\u2014\u2015\u2026\u2019")
	// C1 controls: no use outside mojibake any more.
	mbC1 = span(0x80, 0x9f)
	// Nearly always mojibake: ¦ ¤ ¨ ¬ ¯ ¸ ƒ ˆ ˇ ˘ ˛ ˜ † ‡ ‰ ⌐ ◊ � ª º.
	mbBad = chars("\u00a6\u00a4\u00a8\u00ac\u00af\u00b8\u0192\u02c6\u02c7\u02d8\u02db\u02dc" +
		"\u2020\u2021\u2030\u2310\u25ca\ufffd\u00aa\u00ba")
	// Legalese: ¶ §.
	mbLaw = chars("\u00b6\u00a7")
	// ¢ £ ¥ ₧ €.
	mbCurrency = chars("\u00a2\u00a3\u00a5\u20a7\u20ac")
	// ¡ « ¿ © ΄ ΅ ‘ ‚ “ „ • ‹ and the Apple logo of Mac fonts.
	mbStartPunct = chars("\u00a1\u00ab\u00bf\u00a9\u0384\u0385\u2018\u201a\u201c\u201e\u2022\u2039\uf8ff")
	// ® » ˝ ” › ™.
	mbEndPunct = chars("\u00ae\u00bb\u02dd\u201d\u203a\u2122")
	// ² ³ ¹ ± ¼ ½ ¾ × µ ÷ ⁄ ∂ ∆ ∏ ∑ √ ∞ ∩ ∫ ≈ ≠ ≡ ≤ ≥ №.
	mbNumeric = chars("\u00b2\u00b3\u00b9\u00b1\u00bc\u00bd\u00be\u00d7\u00b5\u00f7\u2044\u2202" +
		"\u2206\u220f\u2211\u221a\u221e\u2229\u222b\u2248\u2260\u2261\u2264\u2265\u2116")
	// Letters used in emoticons (kaomoji), which must be allowed in odd
	// places: Ò-Ö Ù-Ü ò-ö ø-ü Ő Ō Ū Ų °.
	mbKaomoji = union(span(0xd2, 0xd6), span(0xd9, 0xdc), span(0xf2, 0xf6), span(0xf8, 0xfc),
		chars("\u0150\u014c\u016a\u0172\u00b0"))
	// Upper-case accented Latin letters except the kaomoji O's and U's, but
	// with Ø (common in Arabic mojibake) and Ü.
	mbUpperAccented = union(span(0xc0, 0xd1), chars("\u00d8\u00dc\u00dd"+
		"\u0102\u0100\u0104\u0106\u010c\u010e\u0110\u0118\u011a\u0112\u0116\u011e\u0122\u0130"+
		"\u012a\u0136\u0139\u013d\u0141\u013b\u0143\u0147\u0145\u0152\u0158\u015a\u015e\u0160"+
		"\u0162\u0164\u016e\u0170\u0178\u0179\u017b\u017d\u0490"))
	// Lower-case accented Latin letters except the kaomoji o's and u's, but
	// with ü, plus the ligatures ﬁ and ﬂ.
	mbLowerAccented = union(span(0xe0, 0xf1), chars("\u00df"+
		"\u0103\u0105\u0101\u0107\u010d\u010f\u0111\u0119\u011b\u0113\u0117\u011f\u0123\u012f"+
		"\u012b\u0137\u013a\u013e\u0142\u013c\u0153\u0155\u015b\u015f\u0161\u0165\u00fc\u017a"+
		"\u017c\u017e\u0491\ufb01\ufb02"))
	// Þ, Greek and Cyrillic capitals (kept apart from the accented letters
	// because they end words legitimately).
	mbUpperCommon = union(chars("\u00de\u0386\u0388\u0389\u038a\u038c\u038e\u038f\u03aa\u03ab"),
		span(0x391, 0x3a9), span(0x401, 0x42f))
	// Greek and Cyrillic small letters.
	mbLowerCommon = union(span(0x3b1, 0x3c9), chars("\u03ac\u03ad\u03ae\u03af\u03b0"), span(0x430, 0x45f))
	// Box drawing, without the single horizontal line of kaomoji.
	mbBox = union(chars("\u2502\u250c\u2510\u2518\u251c\u2524\u252c\u253c"), span(0x2550, 0x256c),
		chars("\u2580\u2584\u2588\u258c\u2590\u2591\u2592\u2593"))
)

// badAtom tests one character of a badness pattern.
type badAtom func(r rune) bool

func in(sets ...runeSet) badAtom {
	s := union(sets...)
	return s.has
}

func notIn(sets ...runeSet) badAtom {
	s := union(sets...)
	return func(r rune) bool { return !s.has(r) }
}

// badPattern is one alternative of BADNESS_RE; anchored ones match only at
// the start of the text.
type badPattern struct {
	anchored bool
	atoms    []badAtom
}

var (
	badnessOnce     sync.Once
	badnessPatterns []badPattern
)

func initBadness() {
	var (
		lowerAZ    = span('a', 'z')
		letterAZ   = union(span('a', 'z'), span('A', 'Z'))
		pySpace    = badAtom(isSpace)
		wordChar   = badAtom(isWordChar)
		notNL      = badAtom(func(r rune) bool { return r != '\n' })
		cyrVGRS    = chars("ВГРС")
		greekBGXO  = chars("ΒΓΞΟ")
		arabicLead = chars("ØÙ")
		arabicNext = union(mbCommon, mbCurrency, mbBad, mbNumeric, mbStartPunct, chars("ŸŠ®°µ»"))
	)
	p := func(atoms ...badAtom) badPattern { return badPattern{atoms: atoms} }
	badnessPatterns = []badPattern{
		p(in(mbC1)),
		p(in(mbBad, mbLowerAccented, mbUpperAccented, mbBox, mbStartPunct, mbEndPunct, mbCurrency, mbNumeric, mbLaw), in(mbBad)),
		p(in(letterAZ), in(mbLowerCommon, mbUpperCommon), in(mbBad)),
		p(in(mbBad), in(mbLowerAccented, mbUpperAccented, mbBox, mbStartPunct, mbEndPunct, mbCurrency, mbNumeric, mbLaw)),
		p(in(mbLowerAccented, mbLowerCommon, mbBox, mbEndPunct, mbCurrency, mbNumeric), in(mbUpperAccented)),
		p(in(mbBox, mbEndPunct, mbCurrency, mbNumeric), in(mbLowerAccented)),
		p(in(mbLowerAccented, mbBox, mbEndPunct), in(mbCurrency)),
		p(pySpace, in(mbUpperAccented), in(mbCurrency)),
		p(in(mbUpperAccented, mbBox), in(mbNumeric, mbLaw)),
		p(in(mbLowerAccented, mbUpperAccented, mbBox, mbCurrency, mbEndPunct), in(mbStartPunct), in(mbNumeric)),
		p(in(mbLowerAccented, mbUpperAccented, mbCurrency, mbNumeric, mbBox, mbLaw), in(mbEndPunct), in(mbStartPunct)),
		p(in(mbCurrency, mbNumeric, mbBox), in(mbStartPunct)),
		p(in(lowerAZ), in(mbUpperAccented), in(mbStartPunct, mbCurrency)),
		p(in(mbBox), in(mbKaomoji)),
		p(in(mbLowerAccented, mbUpperAccented, mbCurrency, mbNumeric, mbStartPunct, mbEndPunct, mbLaw), in(mbBox)),
		p(in(mbBox), in(mbEndPunct)),
		p(in(mbLowerAccented, mbUpperAccented), in(mbStartPunct, mbEndPunct), wordChar),
		// The ligature œ not followed by an unaccented Latin letter.
		p(in(chars("Œœ")), notIn(letterAZ)),
		// A degree sign after a capital letter.
		p(in(mbUpperAccented), in(chars("°"))),
		// Common Windows-1252 two-character mojibake not covered above.
		p(in(chars("ÂÃÎÐ")), in(chars("€œŠš¢£Ÿž\u00a0\u00ad®©°·»–—´"), mbStartPunct, mbEndPunct)),
		p(in(chars("×")), in(chars("²³"))),
		// Windows-1252 mojibake of Arabic, which needs four characters
		// because it includes the 'common' ones.
		p(in(arabicLead), in(arabicNext), in(arabicLead), in(arabicNext)),
		// Windows-1252 mojibake starting South Asian letters.
		p(in(chars("à")), in(chars("²µ¹¼½¾"))),
		// MacRoman mojibake.
		p(in(chars("√")), in(chars("±∂†≠®™´≤≥¥µø"))),
		p(in(chars("≈")), in(chars("°¢"))),
		p(in(chars("‚")), in(chars("Ä")), in(chars("ìîïòôúùû†°¢π"))),
		p(in(chars("‚")), in(chars("âó")), in(chars("àä°ê"))),
		// Windows-1251 mojibake of characters in the U+2000 block.
		p(in(chars("в")), in(chars("Ђ"))),
		// Windows-1251 mojibake of Latin-1 and Cyrillic: three characters.
		p(in(cyrVGRS), in(mbC1, mbBad, mbStartPunct, mbEndPunct, mbCurrency, chars("°µ")), in(cyrVGRS)),
		// Windows-1251 over Latin-1 over Windows-1252, near a Latin letter.
		p(in(chars("Г")), in(chars("ў")), in(chars("В")), in(chars("Ђ")), in(chars("В")), notNL, in(letterAZ, chars(" "))),
		// Windows-1252 encodings of 'à', 'á' and U+00A0 itself.
		p(in(chars("Ã")), in(chars("\u00a0¡"))),
		p(in(lowerAZ), in(chars("ÃÂ")), in(chars(" "))),
		p(in(lowerAZ), pySpace, in(chars("ÃÂ")), in(chars(" "))),
		{anchored: true, atoms: []badAtom{in(chars("ÃÂ")), in(chars(" "))}},
		// Â before a character it encodes along with itself.
		p(in(lowerAZ, chars(".,?!"), mbEndPunct), in(chars("Â")), in(chars(" "), mbStartPunct, mbEndPunct)),
		// Windows-1253 mojibake of the U+2000 block, of Latin-1 and Greek.
		p(in(chars("β")), in(chars("€")), in(chars("™\u00a0Ά\u00ad®°"))),
		p(in(greekBGXO), in(mbC1, mbBad, mbStartPunct, mbEndPunct, mbCurrency, chars("°")), in(greekBGXO)),
		// Windows-1257 mojibake of the U+2000 block.
		p(in(chars("ā")), in(chars("€"))),
	}
}

// isWordChar is \w of Python's `re` on str: letters, numbers and '_'.
func isWordChar(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// isBad reports whether rs looks like it contains mojibake (ftfy's is_bad:
// BADNESS_RE matches somewhere).
//
// Every pattern has at least one character class made only of non-ASCII
// characters, so a pattern can match only where its window holds a
// non-ASCII character; positions far from any are skipped, which makes
// mostly-ASCII text cheap.
func isBad(rs []rune) bool {
	badnessOnce.Do(initBadness)
	// Walking backwards keeps nextWide the index of the first non-ASCII
	// rune at or after i (len(rs) if none).
	nextWide := len(rs)
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] >= 0x80 {
			nextWide = i
		}
		for _, p := range badnessPatterns {
			if nextWide >= i+len(p.atoms) || (p.anchored && i > 0) {
				continue
			}
			if p.matchAt(rs, i) {
				return true
			}
		}
	}
	return false
}

func (p badPattern) matchAt(rs []rune, i int) bool {
	if i+len(p.atoms) > len(rs) {
		return false
	}
	for k, a := range p.atoms {
		if !a(rs[i+k]) {
			return false
		}
	}
	return true
}
