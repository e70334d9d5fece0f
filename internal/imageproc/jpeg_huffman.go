package imageproc

import "errors"

// Entropy decoding for the JPEG decoder: a bit reader over the scan data
// and canonical Huffman tables.

var errJPEGTruncated = errors.New("unexpected end of JPEG data")

// bitReader reads entropy-coded bits, removing the 0x00 stuffed after each
// 0xFF. At a marker it stops and, like libjpeg, supplies zero bits; past
// the end of the data it does the same but remembers that the file was
// cut short.
type bitReader struct {
	data     []byte
	pos      int    // next byte to load
	acc      uint64 // bits, most significant first
	n        uint   // valid bits in acc
	atMarker bool   // pos is at a marker
	eofBytes int    // zero bytes supplied because the data ended
}

func (b *bitReader) fill() {
	for b.n <= 56 {
		var c byte
		switch {
		case b.atMarker:
		case b.pos >= len(b.data):
			b.eofBytes++
		default:
			c = b.data[b.pos]
			if c != 0xff {
				b.pos++
			} else if b.pos+1 < len(b.data) && b.data[b.pos+1] == 0 {
				b.pos += 2
			} else {
				b.atMarker, c = true, 0
			}
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// bits returns the next n (<= 16) bits.
func (b *bitReader) bits(n uint) int32 {
	if n == 0 {
		return 0
	}
	if b.n < n {
		b.fill()
	}
	v := int32(b.acc >> (64 - n))
	b.acc <<= n
	b.n -= n
	return v
}

// receiveExtend reads an s-bit magnitude category value and sign-extends
// it (the JPEG EXTEND procedure).
func (b *bitReader) receiveExtend(s uint8) int32 {
	if s == 0 {
		return 0
	}
	v := b.bits(uint(s))
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// truncated reports whether bits past the end of the data were used.
func (b *bitReader) truncated() bool { return b.eofBytes*8 > int(b.n) }

// reset drops the buffered bits at a restart interval's end and moves past
// the RSTn marker, skipping any bytes before it (libjpeg resynchronises
// more cleverly on corrupt files; valid files have the marker right here).
// A marker other than RSTn is left for the caller.
func (b *bitReader) reset() {
	b.acc, b.n, b.atMarker = 0, 0, false
	for ; b.pos+1 < len(b.data); b.pos++ {
		if b.data[b.pos] != 0xff {
			continue
		}
		m := b.data[b.pos+1]
		if m >= 0xd0 && m <= 0xd7 {
			b.pos += 2
			return
		}
		if m != 0 && m != 0xff {
			return
		}
	}
}

const huffLookBits = 9

// huffTable is a canonical Huffman code: a lookup of the first
// huffLookBits bits for short codes, and libjpeg's maxcode/valoffset
// scheme for longer ones.
type huffTable struct {
	look    [1 << huffLookBits]uint16 // code length << 8 | symbol; 0 if longer
	maxcode [18]int32                 // largest code of each length, -1 if none
	valoff  [17]int32                 // symbol index minus first code, per length
	vals    []uint8
}

func buildHuffTable(counts [16]uint8, vals []uint8) (*huffTable, error) {
	h := &huffTable{vals: vals}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		h.valoff[l] = k - code
		k += n
		code += n
		if code > 1<<l {
			return nil, errors.New("bad Huffman table")
		}
		h.maxcode[l] = code - 1
		if n == 0 {
			h.maxcode[l] = -1
		}
		if l <= huffLookBits {
			for c := code - n; c < code; c++ {
				sym := vals[h.valoff[l]+c]
				shift := huffLookBits - l
				for i := c << shift; i < (c+1)<<shift; i++ {
					h.look[i] = uint16(l)<<8 | uint16(sym)
				}
			}
		}
		code <<= 1
	}
	h.maxcode[17] = 1 << 30 // sentinel
	return h, nil
}

// decode reads one Huffman-coded symbol. A code that is not in the table
// (corrupt data) decodes as 0, as in libjpeg.
func (b *bitReader) decode(h *huffTable) uint8 {
	if b.n < 16 {
		b.fill()
	}
	if e := h.look[b.acc>>(64-huffLookBits)]; e != 0 {
		l := uint(e >> 8)
		b.acc <<= l
		b.n -= l
		return uint8(e)
	}
	for l := uint(huffLookBits + 1); l <= 16; l++ {
		code := int32(b.acc >> (64 - l))
		if code <= h.maxcode[l] {
			b.acc <<= l
			b.n -= l
			return h.vals[h.valoff[l]+code]
		}
	}
	b.acc <<= 16
	b.n -= 16
	return 0
}
