package tokenizer

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The simple text fixers of ftfy 6.3.1 (fixes.py), applied by fixSegment in
// this order after the encoding repair.

// fixC1Controls reads each remaining C1 control (U+0080..U+009F) as the
// Windows-1252 byte it most likely was, as web browsers do; the five bytes
// Windows-1252 leaves undefined stay as they are.
func fixC1Controls(s string) string {
	if !strings.ContainsFunc(s, isC1) {
		return s
	}
	initCodecs()
	return strings.Map(func(r rune) rune {
		if isC1(r) {
			return sloppy1252.decode[r]
		}
		return r
	}, s)
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9F }

// latinLigatures are the Latin ligatures and legacy digraphs that ftfy
// spells out (other scripts' ligatures are left alone).
var latinLigatures = map[rune]string{
	'Ĳ': "IJ", 'ĳ': "ij", 'ŉ': "ʼn",
	'Ǳ': "DZ", 'ǲ': "Dz", 'ǳ': "dz", 'Ǆ': "DŽ", 'ǅ': "Dž", 'ǆ': "dž",
	'Ǉ': "LJ", 'ǈ': "Lj", 'ǉ': "lj", 'Ǌ': "NJ", 'ǋ': "Nj", 'ǌ': "nj",
	'ﬀ': "ff", 'ﬁ': "fi", 'ﬂ': "fl", 'ﬃ': "ffi", 'ﬄ': "ffl", 'ﬅ': "ſt", 'ﬆ': "st",
}

func fixLatinLigatures(s string) string {
	return translate(s, func(r rune) (string, bool) {
		if r < 'Ĳ' || (r > 'ǌ' && r < 'ﬀ') || r > 'ﬆ' {
			return "", false // outside both blocks of latinLigatures
		}
		t, ok := latinLigatures[r]
		return t, ok
	})
}

var (
	widthOnce sync.Once
	widthMap  map[rune]string
)

// fixCharacterWidth replaces fullwidth and halfwidth forms (U+FF01..U+FFEF)
// by their NFKC equivalents, and the ideographic space by a plain one.
func fixCharacterWidth(s string) string {
	widthOnce.Do(func() {
		widthMap = map[rune]string{0x3000: " "}
		for r := rune(0xFF01); r < 0xFFF0; r++ {
			if alt := norm.NFKC.String(string(r)); alt != string(r) {
				widthMap[r] = alt
			}
		}
	})
	return translate(s, func(r rune) (string, bool) {
		if r != 0x3000 && (r < 0xFF01 || r > 0xFFEF) {
			return "", false
		}
		t, ok := widthMap[r]
		return t, ok
	})
}

// uncurlQuotes straightens curly quotes: ʼ ‘ ’ ‚ ‛ become ' and “ ” „ ‟
// become ".
func uncurlQuotes(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == 0x2BC || (r >= 0x2018 && r <= 0x201B):
			return '\''
		case r >= 0x201C && r <= 0x201F:
			return '"'
		}
		return r
	}, s)
}

// fixLineBreaks turns CRLF, CR, U+2028, U+2029 and NEL into "\n".
func fixLineBreaks(s string) string {
	if !strings.ContainsAny(s, "\r\u2028\u2029\u0085") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.NewReplacer("\r", "\n", "\u2028", "\n", "\u2029", "\n", "\u0085", "\n").Replace(s)
}

// removeTerminalEscapes deletes ANSI escape sequences: ESC '[', any decimal
// digits (Unicode Nd, as \d is in Python) and semicolons, then an ASCII
// letter.
func removeTerminalEscapes(s string) string {
	if !strings.Contains(s, "\x1b[") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if n := ansiEscapeAt(s[i:]); n > 0 {
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// ansiEscapeAt returns the length of the escape sequence at the start of s,
// or 0.
func ansiEscapeAt(s string) int {
	if !strings.HasPrefix(s, "\x1b[") {
		return 0
	}
	for i, r := range s[2:] {
		switch {
		case r == ';' || unicode.IsDigit(r):
			continue
		case (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
			return 2 + i + 1
		}
		return 0
	}
	return 0
}

// removeControlChars deletes the control characters that have no visible
// effect: C0 controls other than \t \n \f \r, DEL, the deprecated Arabic
// format characters U+206A..U+206F, the byte order mark, and U+FFF9..U+FFFC.
// C1 controls, joiners and bidirectional marks are kept.
func removeControlChars(s string) string {
	if !strings.ContainsFunc(s, isRemovableControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isRemovableControl(r) {
			return -1
		}
		return r
	}, s)
}

func isRemovableControl(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t' && r != '\n' && r != '\f' && r != '\r'
	case r == 0x7F, r >= 0x206A && r <= 0x206F, r == 0xFEFF, r >= 0xFFF9 && r <= 0xFFFC:
		return true
	}
	return false
}

// translate is Python's str.translate with a mapping to strings: each rune
// that sub maps is replaced.
func translate(s string, sub func(rune) (string, bool)) string {
	var b *strings.Builder
	for i, r := range s {
		t, ok := sub(r)
		if !ok {
			if b != nil {
				b.WriteRune(r)
			}
			continue
		}
		if b == nil {
			b = &strings.Builder{}
			b.Grow(len(s) + 8)
			b.WriteString(s[:i])
		}
		b.WriteString(t)
	}
	if b == nil {
		return s
	}
	return b.String()
}
