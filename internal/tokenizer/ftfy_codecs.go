package tokenizer

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// singleByte is one of the single-byte encodings that ftfy tries when it
// suspects that UTF-8 was decoded with the wrong codec (CHARMAP_ENCODINGS).
type singleByte struct {
	name string
	// sloppy codecs (ftfy's "sloppy-windows-*") decode the bytes their
	// standard leaves undefined as Latin-1, and read byte 0x1A as U+FFFD.
	sloppy bool
	// decode maps each byte to its character.
	decode [256]rune
	// encode inverts decode.
	encode map[rune]byte
}

// canEncode reports whether s could have come from this encoding: ftfy's
// ENCODING_REGEXES, i.e. every character is ASCII (except U+001A in sloppy
// codecs, where that byte means U+FFFD) or the decoding of a byte >= 0x80.
func (e *singleByte) canEncode(s string) bool {
	for _, r := range s {
		if r < 0x80 {
			if r == 0x1A && e.sloppy {
				return false
			}
			continue
		}
		if _, ok := e.encode[r]; !ok {
			return false
		}
	}
	return true
}

// encodeString encodes s, which must pass canEncode.
func (e *singleByte) encodeString(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 && !(r == 0x1A && e.sloppy) {
			b = append(b, byte(r))
		} else {
			b = append(b, e.encode[r])
		}
	}
	return b
}

// newSingleByte builds an encoding from a Go charmap (nil for Latin-1).
// golang.org/x/text agrees with Python's codecs except that it decodes
// undefined bytes as U+FFFD where Python fails; ftfy's sloppy variants use
// the Latin-1 character there, and so does Python's ISO-8859-2 for its C1
// range, which x/text leaves undefined.
func newSingleByte(name string, cm *charmap.Charmap, sloppy bool) *singleByte {
	e := &singleByte{name: name, sloppy: sloppy, encode: make(map[rune]byte, 256)}
	for b := 0; b < 256; b++ {
		r := rune(b)
		if cm != nil {
			if d := cm.DecodeByte(byte(b)); d != utf8.RuneError {
				r = d
			}
		}
		e.decode[b] = r
	}
	if sloppy {
		e.decode[0x1A] = utf8.RuneError
	}
	// No character appears twice in these tables, so the inverse is exact.
	for b, r := range e.decode {
		e.encode[r] = byte(b)
	}
	return e
}

var (
	codecsOnce sync.Once
	// charmapEncodings are ftfy's CHARMAP_ENCODINGS in the order it tries
	// them.
	charmapEncodings []*singleByte
	// sloppy1252 is sloppy-windows-1252, used to fix C1 controls.
	sloppy1252 *singleByte
	// windows1252 decodes strictly: ok is false for an undefined byte.
	windows1252 = charmap.Windows1252
)

func initCodecs() {
	codecsOnce.Do(func() {
		sloppy1252 = newSingleByte("sloppy-windows-1252", charmap.Windows1252, true)
		charmapEncodings = []*singleByte{
			newSingleByte("latin-1", nil, false),
			sloppy1252,
			newSingleByte("sloppy-windows-1251", charmap.Windows1251, true),
			newSingleByte("sloppy-windows-1250", charmap.Windows1250, true),
			newSingleByte("sloppy-windows-1253", charmap.Windows1253, true),
			newSingleByte("sloppy-windows-1254", charmap.Windows1254, true),
			newSingleByte("sloppy-windows-1257", charmap.Windows1257, true),
			newSingleByte("iso-8859-2", charmap.ISO8859_2, false),
			newSingleByte("macroman", charmap.Macintosh, false),
			newSingleByte("cp437", charmap.CodePage437, false),
		}
		initUTF8Clues()
	})
}

// decodeWindows1252Strict decodes b as Python's cp1252 codec does, failing
// on the five undefined bytes.
func decodeWindows1252Strict(b []byte) (string, bool) {
	r := make([]rune, len(b))
	for i, c := range b {
		d := windows1252.DecodeByte(c)
		if d == utf8.RuneError {
			return "", false
		}
		r[i] = d
	}
	return string(r), true
}

// decodeUTF8Variants is ftfy's "utf-8-variants" codec, strict: standard
// UTF-8 plus CESU-8 (a supplementary character written as two 3-byte
// surrogates) and Java's two-byte NUL (C0 80).
func decodeUTF8Variants(b []byte) (string, bool) {
	out := make([]rune, 0, len(b))
	for i := 0; i < len(b); {
		switch {
		case b[i] == 0xC0 && i+1 < len(b) && b[i+1] == 0x80:
			out = append(out, 0)
			i += 2
			continue
		case b[i] == 0xED && i+5 < len(b) &&
			b[i+1] >= 0xA0 && b[i+1] <= 0xAF && b[i+2] >= 0x80 && b[i+2] <= 0xBF &&
			b[i+3] == 0xED && b[i+4] >= 0xB0 && b[i+4] <= 0xBF && b[i+5] >= 0x80 && b[i+5] <= 0xBF:
			cp := rune(b[i+1]&0x0F)<<16 | rune(b[i+2]&0x3F)<<10 | rune(b[i+4]&0x0F)<<6 | rune(b[i+5]&0x3F)
			out = append(out, cp+0x10000)
			i += 6
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return "", false
		}
		out = append(out, r)
		i += size
	}
	return string(out), true
}
