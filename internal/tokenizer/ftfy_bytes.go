package tokenizer

import "bytes"

// Byte-level repairs that ftfy applies after re-encoding suspected mojibake
// and before decoding it as UTF-8. Every pattern here is a fixed-length
// sequence of byte classes; at each position the alternatives are tried in
// order and the first that fits is replaced, then scanning resumes after it,
// as re.sub does.

// byteClass tests one byte.
type byteClass func(c byte) bool

func oneOf(set ...byte) byteClass {
	return func(c byte) bool { return bytes.IndexByte(set, c) >= 0 }
}

func byteRange(lo, hi byte) byteClass { return func(c byte) bool { return c >= lo && c <= hi } }

func either(cs ...byteClass) byteClass {
	return func(c byte) bool {
		for _, f := range cs {
			if f(c) {
				return true
			}
		}
		return false
	}
}

type bytePattern []byteClass

func (p bytePattern) matchAt(b []byte, i int) bool {
	if i+len(p) > len(b) {
		return false
	}
	for k, f := range p {
		if !f(b[i+k]) {
			return false
		}
	}
	return true
}

// firstMatch returns the first of pats matching at b[i:], or nil.
func firstMatch(pats []bytePattern, b []byte, i int) bytePattern {
	for _, p := range pats {
		if p.matchAt(b, i) {
			return p
		}
	}
	return nil
}

var (
	space       = oneOf(' ')
	cont        = byteRange(0x80, 0xBF)
	contNoA0_85 = either(byteRange(0x80, 0x84), byteRange(0x86, 0x9F), byteRange(0xA1, 0xBF))
	sub         = oneOf(0x1A)
	subOrQ      = oneOf(0x1A, '?')
	subOrCont   = either(sub, cont)
	subQOrCont  = either(subOrQ, cont)

	// alteredUTF8 (ALTERED_UTF8_RE) finds UTF-8 sequences that would be
	// valid had a Windows-1252 program not turned byte A0 into a space.
	// Lead bytes are limited to those that make likely characters.
	alteredUTF8 = []bytePattern{
		{oneOf(0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9), space},
		{oneOf(0xE2, 0xE3), space, contNoA0_85},
		{byteRange(0xE0, 0xE3), contNoA0_85, space},
		{oneOf(0xF0), space, cont, cont},
		{oneOf(0xF0), cont, space, cont},
		{oneOf(0xF0), cont, cont, space},
	}

	// lossyUTF8 (LOSSY_UTF8_RE) finds UTF-8 (and CESU-8) sequences in which
	// some bytes were lost: byte 1A stands for a character a sloppy codec
	// read as U+FFFD, and '?' may stand for one such byte per sequence.
	lossyUTF8 = []bytePattern{
		{byteRange(0xC2, 0xDF), sub},
		{byteRange(0xC2, 0xC3), oneOf('?')},
		{oneOf(0xED), byteRange(0xA0, 0xAF), subOrQ, oneOf(0xED), byteRange(0xB0, 0xBF), subQOrCont},
		{oneOf(0xED), byteRange(0xA0, 0xAF), subQOrCont, oneOf(0xED), byteRange(0xB0, 0xBF), subOrQ},
		{byteRange(0xE0, 0xEF), subOrQ, subOrCont},
		{byteRange(0xE0, 0xEF), subOrCont, subOrQ},
		{byteRange(0xF0, 0xF4), subOrQ, subOrCont, subOrCont},
		{byteRange(0xF0, 0xF4), subOrCont, subOrQ, subOrCont},
		{byteRange(0xF0, 0xF4), subOrCont, subOrCont, subOrQ},
		{sub},
	}
)

// hasAlteredUTF8 reports whether ALTERED_UTF8_RE matches anywhere in b.
func hasAlteredUTF8(b []byte) bool {
	for i := range b {
		if firstMatch(alteredUTF8, b, i) != nil {
			return true
		}
	}
	return false
}

// restoreByteA0 puts back the A0 bytes that became spaces inside UTF-8
// sequences (ftfy's restore_byte_a0). First, a C3 followed by a space reads
// as "à" followed by that space ("Ã la" is "à la", not "àla"), except before
// another space or the Portuguese words "às", "àquele", "àquela", "àquilo".
func restoreByteA0(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == 0xC3 && i+1 < len(b) && b[i+1] == ' ' && !aGraveException(b[i+2:]) {
			out = append(out, 0xC3, 0xA0)
			continue // the space itself is copied next
		}
		out = append(out, b[i])
	}
	b = out
	out = make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if p := firstMatch(alteredUTF8, b, i); p != nil {
			for _, c := range b[i : i+len(p)] {
				if c == ' ' {
					c = 0xA0
				}
				out = append(out, c)
			}
			i += len(p)
			continue
		}
		out = append(out, b[i])
		i++
	}
	return out
}

func aGraveException(rest []byte) bool {
	for _, w := range []string{" ", "quele", "quela", "quilo", "s "} {
		if bytes.HasPrefix(rest, []byte(w)) {
			return true
		}
	}
	return false
}

// replaceLossySequences replaces each lossy UTF-8 sequence with the UTF-8
// encoding of U+FFFD (ftfy's replace_lossy_sequences).
func replaceLossySequences(b []byte) []byte {
	if bytes.IndexByte(b, 0x1A) < 0 && bytes.IndexByte(b, '?') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if p := firstMatch(lossyUTF8, b, i); p != nil {
			out = append(out, "\uFFFD"...)
			i += len(p)
			continue
		}
		out = append(out, b[i])
		i++
	}
	return out
}
