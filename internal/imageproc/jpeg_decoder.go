package imageproc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A JPEG decoder that reproduces libjpeg-turbo's output, which is what PIL
// decodes with: baseline and progressive Huffman-coded 8-bit JPEGs, any
// integral sampling factors, restart intervals. It keeps the whole
// coefficient image (as libjpeg does for progressive files), then runs
// the ISLOW inverse DCT, libjpeg's upsampling and its colour conversion.
// Arithmetic coding, lossless and 12-bit JPEGs are refused; decodeJPEG
// falls back to image/jpeg for them.

// jpegZigzag[k] is the natural (row-major) index of the k-th coefficient
// in zigzag order; entries past 63 catch corrupt run lengths as libjpeg's
// jpeg_natural_order does.
var jpegZigzag = [64 + 16]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
}

type jpegComponent struct {
	id     uint8
	h, v   int // sampling factors
	tq     int // quantisation table selector
	qt     *[64]int32
	bw, bh int // blocks stored per row and column (MCU-padded)
	wib    int // blocks per row and column that hold image data
	hib    int
	dw, dh int     // libjpeg's downsampled_width and _height
	coef   []int16 // [bh][bw][64], natural order
	pred   int32   // DC predictor
	td, ta int     // Huffman table selectors of the current scan
}

type jpegDecoder struct {
	data          []byte
	width, height int
	progressive   bool
	comps         []jpegComponent
	hmax, vmax    int
	mcux, mcuy    int
	qt            [4]*[64]int32
	dc, ac        [4]*huffTable
	restart       int
	jfif, adobe   bool
	transform     int
	eobrun        int32
	sawFrame      bool
	scans         int
}

var errJPEGUnsupported = errors.New("unsupported JPEG")

// maxJPEGScans bounds the work a small file can ask for: every scan walks
// all blocks of its components, however little data it holds. Encoders
// write at most a few dozen; libjpeg-turbo 3's tools stop at 500.
const maxJPEGScans = 1000

// decodeLibjpeg decodes data into PIL's mode for it: L, RGB or CMYK.
func decodeLibjpeg(data []byte) (*Image, error) {
	d := &jpegDecoder{data: data}
	if err := d.parse(); err != nil {
		return nil, err
	}
	return d.output()
}

// parse walks the markers, decoding each scan as it comes.
func (d *jpegDecoder) parse() error {
	pos := 2 // after SOI
	for {
		// Find the next marker, skipping fill bytes (and, as libjpeg
		// does with a warning, any garbage).
		for pos < len(d.data) && d.data[pos] != 0xff {
			pos++
		}
		for pos < len(d.data) && d.data[pos] == 0xff {
			pos++
		}
		if pos >= len(d.data) {
			if d.scans > 0 {
				return nil // missing EOI: libjpeg warns and finishes
			}
			return errJPEGTruncated
		}
		m := d.data[pos]
		pos++
		switch {
		case m == 0xd9: // EOI
			if d.scans == 0 {
				return errors.New("no image data")
			}
			return nil
		case m >= 0xd0 && m <= 0xd7, m == 0x01: // parameterless
			continue
		}
		if pos+2 > len(d.data) {
			return errJPEGTruncated
		}
		n := int(binary.BigEndian.Uint16(d.data[pos:]))
		if n < 2 || pos+n > len(d.data) {
			return errJPEGTruncated
		}
		seg := d.data[pos+2 : pos+n]
		pos += n
		var err error
		switch m {
		case 0xc0, 0xc1, 0xc2:
			err = d.parseSOF(seg, m == 0xc2)
		case 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf:
			err = fmt.Errorf("%w: SOF%d (lossless or arithmetic coding)", errJPEGUnsupported, m-0xc0)
		case 0xc4:
			err = d.parseDHT(seg)
		case 0xdb:
			err = d.parseDQT(seg)
		case 0xdd:
			if len(seg) < 2 {
				return errJPEGTruncated
			}
			d.restart = int(binary.BigEndian.Uint16(seg))
		case 0xe0:
			if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
				d.jfif = true
			}
		case 0xee:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.transform = true, int(seg[11])
			}
		case 0xda:
			var end int
			end, err = d.scan(seg, pos)
			pos = end
		case 0xdc:
			err = fmt.Errorf("%w: DNL marker", errJPEGUnsupported)
		}
		if err != nil {
			return err
		}
	}
}

func (d *jpegDecoder) parseSOF(s []byte, progressive bool) error {
	if d.sawFrame {
		return errors.New("more than one frame")
	}
	if len(s) < 6 {
		return errJPEGTruncated
	}
	if s[0] != 8 {
		return fmt.Errorf("%w: %d-bit samples", errJPEGUnsupported, s[0])
	}
	d.sawFrame, d.progressive = true, progressive
	d.height = int(binary.BigEndian.Uint16(s[1:]))
	d.width = int(binary.BigEndian.Uint16(s[3:]))
	nc := int(s[5])
	if d.height == 0 {
		return fmt.Errorf("%w: height defined by DNL", errJPEGUnsupported)
	}
	if d.width == 0 || (nc != 1 && nc != 3 && nc != 4) || len(s) < 6+3*nc {
		return errors.New("bad frame header")
	}
	d.comps = make([]jpegComponent, nc)
	for i := range d.comps {
		c := &d.comps[i]
		c.id, c.h, c.v, c.tq = s[6+3*i], int(s[7+3*i]>>4), int(s[7+3*i]&15), int(s[8+3*i])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return errors.New("bad component parameters")
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	d.mcux = (d.width + 8*d.hmax - 1) / (8 * d.hmax)
	d.mcuy = (d.height + 8*d.vmax - 1) / (8 * d.vmax)
	for i := range d.comps {
		c := &d.comps[i]
		if d.hmax%c.h != 0 || d.vmax%c.v != 0 {
			return fmt.Errorf("%w: fractional sampling factors", errJPEGUnsupported)
		}
		c.dw = (d.width*c.h + d.hmax - 1) / d.hmax
		c.dh = (d.height*c.v + d.vmax - 1) / d.vmax
		c.wib, c.hib = (c.dw+7)/8, (c.dh+7)/8
		c.bw, c.bh = d.mcux*c.h, d.mcuy*c.v
		if nc == 1 {
			c.bw, c.bh = c.wib, c.hib
		}
		c.coef = make([]int16, c.bw*c.bh*64)
	}
	return nil
}

func (d *jpegDecoder) parseDHT(s []byte) error {
	for len(s) > 0 {
		if len(s) < 17 {
			return errJPEGTruncated
		}
		class, id := s[0]>>4, s[0]&15
		var counts [16]uint8
		copy(counts[:], s[1:17])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if class > 1 || id > 3 || total > 256 || len(s) < 17+total {
			return errors.New("bad Huffman table")
		}
		t, err := buildHuffTable(counts, append([]uint8(nil), s[17:17+total]...))
		if err != nil {
			return err
		}
		if class == 0 {
			d.dc[id] = t
		} else {
			d.ac[id] = t
		}
		s = s[17+total:]
	}
	return nil
}

func (d *jpegDecoder) parseDQT(s []byte) error {
	for len(s) > 0 {
		prec, id := s[0]>>4, s[0]&15
		n := 64 * (1 + int(prec))
		if prec > 1 || id > 3 || len(s) < 1+n {
			return errors.New("bad quantisation table")
		}
		q := new([64]int32)
		for k := range 64 {
			if prec == 0 {
				q[jpegZigzag[k]] = int32(s[1+k])
			} else {
				q[jpegZigzag[k]] = int32(binary.BigEndian.Uint16(s[1+2*k:]))
			}
		}
		d.qt[id] = q
		s = s[1+n:]
	}
	return nil
}

// scan decodes one scan whose header is hdr and whose entropy-coded data
// starts at pos; it returns the position after the data.
func (d *jpegDecoder) scan(hdr []byte, pos int) (int, error) {
	if !d.sawFrame {
		return pos, errors.New("scan before frame header")
	}
	if len(hdr) < 1 || len(hdr) < 4+2*int(hdr[0]) {
		return pos, errJPEGTruncated
	}
	ns := int(hdr[0])
	if ns < 1 || ns > len(d.comps) {
		return pos, errors.New("bad scan header")
	}
	comps := make([]*jpegComponent, ns)
	for i := range ns {
		id, tables := hdr[1+2*i], hdr[2+2*i]
		for j := range d.comps {
			if d.comps[j].id == id {
				comps[i] = &d.comps[j]
			}
		}
		c := comps[i]
		if c == nil {
			return pos, errors.New("scan names an unknown component")
		}
		c.td, c.ta = int(tables>>4), int(tables&15)
		if c.td > 3 || c.ta > 3 {
			return pos, errors.New("bad Huffman table selector")
		}
		// libjpeg latches a component's quantisation table at its first scan.
		if c.qt == nil {
			if d.qt[c.tq] == nil {
				return pos, errors.New("missing quantisation table")
			}
			c.qt = d.qt[c.tq]
		}
		c.pred = 0
	}
	p := hdr[1+2*ns:]
	ss, se, ah, al := int(p[0]), int(p[1]), uint(p[2]>>4), uint(p[2]&15)
	if !d.progressive {
		ss, se, ah, al = 0, 63, 0, 0
	} else if ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13 {
		return pos, errors.New("bad progressive scan parameters")
	}
	for _, c := range comps {
		if (ss == 0 && ah == 0 && d.dc[c.td] == nil) || (se > 0 && d.ac[c.ta] == nil) {
			return pos, errors.New("missing Huffman table")
		}
	}
	d.scans++
	if d.scans > maxJPEGScans {
		return pos, fmt.Errorf("more than %d scans", maxJPEGScans)
	}
	d.eobrun = 0
	br := &bitReader{data: d.data, pos: pos}

	block := func(c *jpegComponent, bx, by int) {
		b := (*[64]int16)(c.coef[(by*c.bw+bx)*64:])
		switch {
		case !d.progressive:
			d.decodeSequential(br, c, b)
		case ss == 0 && ah == 0:
			c.pred += br.receiveExtend(br.decode(d.dc[c.td]))
			b[0] = int16(c.pred << al)
		case ss == 0:
			if br.bits(1) != 0 {
				b[0] |= int16(1 << al)
			}
		case ah == 0:
			d.decodeACFirst(br, d.ac[c.ta], b, ss, se, al)
		default:
			d.decodeACRefine(br, d.ac[c.ta], b, ss, se, al)
		}
	}

	// An interleaved scan walks MCUs of h x v blocks per component; a scan
	// of one component walks that component's image blocks one by one.
	mcuw, mcuh := d.mcux, d.mcuy
	if ns == 1 {
		mcuw, mcuh = comps[0].wib, comps[0].hib
	}
	left := d.restart
	for my := range mcuh {
		for mx := range mcuw {
			if d.restart > 0 {
				if left == 0 {
					br.reset()
					for _, c := range comps {
						c.pred = 0
					}
					d.eobrun = 0
					left = d.restart
				}
				left--
			}
			if ns == 1 {
				block(comps[0], mx, my)
				continue
			}
			for _, c := range comps {
				for v := range c.v {
					for h := range c.h {
						block(c, mx*c.h+h, my*c.v+v)
					}
				}
			}
		}
	}
	if br.truncated() {
		return br.pos, errJPEGTruncated
	}
	return br.pos, nil
}

func (d *jpegDecoder) decodeSequential(br *bitReader, c *jpegComponent, b *[64]int16) {
	c.pred += br.receiveExtend(br.decode(d.dc[c.td]))
	b[0] = int16(c.pred)
	ac := d.ac[c.ta]
	for k := 1; k < 64; k++ {
		rs := br.decode(ac)
		r, s := int(rs>>4), rs&15
		if s == 0 {
			if r != 15 {
				break
			}
			k += 15
			continue
		}
		k += r
		b[jpegZigzag[k]] = int16(br.receiveExtend(s))
	}
}

func (d *jpegDecoder) decodeACFirst(br *bitReader, ac *huffTable, b *[64]int16, ss, se int, al uint) {
	if d.eobrun > 0 {
		d.eobrun--
		return
	}
	for k := ss; k <= se; k++ {
		rs := br.decode(ac)
		r, s := int(rs>>4), rs&15
		if s != 0 {
			k += r
			b[jpegZigzag[k]] = int16(br.receiveExtend(s) << al)
			continue
		}
		if r != 15 {
			d.eobrun = 1 << r
			if r > 0 {
				d.eobrun += br.bits(uint(r))
			}
			d.eobrun--
			return
		}
		k += 15
	}
}

// decodeACRefine is the successive-approximation refinement of AC
// coefficients (ITU T.81 G.1.2.3, as libjpeg's decode_mcu_AC_refine).
func (d *jpegDecoder) decodeACRefine(br *bitReader, ac *huffTable, b *[64]int16, ss, se int, al uint) {
	p1 := int16(1) << al
	m1 := int16(-1) << al
	refine := func(coef *int16) {
		if br.bits(1) != 0 && *coef&p1 == 0 {
			if *coef >= 0 {
				*coef += p1
			} else {
				*coef += m1
			}
		}
	}
	k := ss
	if d.eobrun == 0 {
		for ; k <= se; k++ {
			rs := br.decode(ac)
			r, s := int(rs>>4), int16(rs&15)
			if s != 0 {
				if br.bits(1) != 0 {
					s = p1
				} else {
					s = m1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r > 0 {
					d.eobrun += br.bits(uint(r))
				}
				break
			}
			// Refine nonzero coefficients on the way; skip r zero ones.
			for k <= se {
				coef := &b[jpegZigzag[k]]
				if *coef != 0 {
					refine(coef)
				} else {
					if r == 0 {
						break
					}
					r--
				}
				k++
			}
			if s != 0 {
				b[jpegZigzag[min(k, 64)]] = s
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= se; k++ {
			if coef := &b[jpegZigzag[k]]; *coef != 0 {
				refine(coef)
			}
		}
		d.eobrun--
	}
}
