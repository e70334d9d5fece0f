package imageproc

import (
	"bytes"
	"compress/lzw"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The first frame of a GIF is decoded here rather than with image/gif,
// which cannot give what PIL does: image/gif blanks the colour of the
// transparent index (PIL's convert("RGB") keeps it), returns only the
// frame's rectangle, and rejects files without a colour table or with a
// frame outside the screen, which PIL opens.

// gifFrame is what PIL's GifImagePlugin reads before the first frame's
// pixel data.
type gifFrame struct {
	width, height     int    // canvas, enlarged to hold the frame as PIL does
	x0, y0, fw, fh    int    // the frame rectangle
	palette           []byte // local, else global colour table; nil if none
	transparency      int    // transparent index of the first frame, or -1
	interlaced        bool
	litWidth          int
	data              []byte // from the LZW minimum code size byte on
	paletteIsIdentity bool   // a gray ramp 0, 1, 2, ...: PIL then uses mode L
}

func gifSize(data []byte) (int, int, error) {
	f, err := readGIFFrame(data)
	return f.width, f.height, err
}

func readGIFFrame(data []byte) (gifFrame, error) {
	f := gifFrame{transparency: -1}
	r := bytes.NewReader(data)
	var hdr [13]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return f, err
	}
	f.width = int(binary.LittleEndian.Uint16(hdr[6:]))
	f.height = int(binary.LittleEndian.Uint16(hdr[8:]))
	var global []byte
	if hdr[10]&0x80 != 0 {
		global = make([]byte, 3<<(hdr[10]&7+1))
		if _, err := io.ReadFull(r, global); err != nil {
			return f, err
		}
	}
	for {
		c, err := r.ReadByte()
		if err != nil || c == ';' {
			return f, errors.New("no image in file")
		}
		switch c {
		case '!': // extension: label, then data sub-blocks
			label, err := r.ReadByte()
			if err != nil {
				return f, err
			}
			first := true
			for {
				block, err := subBlock(r)
				if err != nil {
					return f, err
				}
				if block == nil {
					break
				}
				if label == 0xf9 && first && len(block) >= 4 && block[0]&1 != 0 {
					f.transparency = int(block[3])
				}
				first = false
			}
		case ',': // image descriptor
			var d [9]byte
			if _, err := io.ReadFull(r, d[:]); err != nil {
				return f, err
			}
			f.x0 = int(binary.LittleEndian.Uint16(d[0:]))
			f.y0 = int(binary.LittleEndian.Uint16(d[2:]))
			f.fw = int(binary.LittleEndian.Uint16(d[4:]))
			f.fh = int(binary.LittleEndian.Uint16(d[6:]))
			f.width = max(f.width, f.x0+f.fw)
			f.height = max(f.height, f.y0+f.fh)
			f.interlaced = d[8]&0x40 != 0
			f.palette = global
			if d[8]&0x80 != 0 {
				f.palette = make([]byte, 3<<(d[8]&7+1))
				if _, err := io.ReadFull(r, f.palette); err != nil {
					return f, err
				}
			}
			f.paletteIsIdentity = f.palette != nil && isGrayRamp(f.palette)
			lit, err := r.ReadByte()
			if err != nil {
				return f, err
			}
			f.litWidth = int(lit)
			f.data = data[len(data)-r.Len():]
			return f, nil
		default:
			// PIL skips bytes it does not recognise between blocks.
		}
	}
}

// subBlock reads one GIF data sub-block; nil marks the terminator.
func subBlock(r *bytes.Reader) ([]byte, error) {
	n, err := r.ReadByte()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return b, err
}

// isGrayRamp is PIL's test for a palette it does not need: entry i is
// (i, i, i) for every entry.
func isGrayRamp(p []byte) bool {
	for i := 0; i+2 < len(p); i += 3 {
		v := byte(i / 3)
		if p[i] != v || p[i+1] != v || p[i+2] != v {
			return false
		}
	}
	return true
}

// decodeGIF decodes the first frame as PIL 9.4 does: mode P with the frame's
// colour table (L when there is none or it is a gray ramp), on a canvas
// filled with the transparent index if there is one, else 0.
func decodeGIF(data []byte) (*Image, error) {
	f, err := readGIFFrame(data)
	if err != nil {
		return nil, err
	}
	if f.litWidth < 2 || f.litWidth > 8 {
		return nil, fmt.Errorf("invalid LZW code size %d", f.litWidth)
	}
	// Join the frame's data sub-blocks and decompress them.
	var packed bytes.Buffer
	r := bytes.NewReader(f.data)
	for {
		block, err := subBlock(r)
		if err != nil {
			return nil, fmt.Errorf("image data: %w", err)
		}
		if block == nil {
			break
		}
		packed.Write(block)
	}
	frame := make([]byte, f.fw*f.fh)
	lz := lzw.NewReader(&packed, lzw.LSB, f.litWidth)
	defer lz.Close()
	if _, err := io.ReadFull(lz, frame); err != nil {
		return nil, fmt.Errorf("image data: %w", err)
	}

	m := &Image{mode: ModeP, width: f.width, height: f.height, pix: make([]uint8, f.width*f.height), palette: grayRamp()}
	if f.palette == nil || f.paletteIsIdentity {
		m.mode = ModeL
	} else {
		copy(m.palette[:], f.palette)
	}
	if f.transparency >= 0 {
		for i := range m.pix {
			m.pix[i] = uint8(f.transparency)
		}
	}
	for i, y := range gifRowOrder(f.fh, f.interlaced) {
		copy(m.pix[(f.y0+y)*f.width+f.x0:], frame[i*f.fw:(i+1)*f.fw])
	}
	return m, nil
}

// gifRowOrder lists the frame row each stored row belongs to: in order,
// or in the four interlace passes (every 8th row from 0, every 8th from 4,
// every 4th from 2, every 2nd from 1).
func gifRowOrder(h int, interlaced bool) []int {
	rows := make([]int, 0, h)
	if !interlaced {
		for y := range h {
			rows = append(rows, y)
		}
		return rows
	}
	for _, p := range [][2]int{{0, 8}, {4, 8}, {2, 4}, {1, 2}} {
		for y := p[0]; y < h; y += p[1] {
			rows = append(rows, y)
		}
	}
	return rows
}
