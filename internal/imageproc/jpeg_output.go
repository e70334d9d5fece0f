package imageproc

import "errors"

// output runs the inverse DCT on every component, upsamples the
// subsampled ones to full size and converts to PIL's mode the way
// libjpeg-turbo and PIL's raw modes do:
//
//	1 component:  L
//	3 components: RGB, from YCbCr unless the file says RGB (JFIF marker,
//	              Adobe transform flag, or component ids, as libjpeg decides)
//	4 components: CMYK, from YCCK when the Adobe transform flag is 2; PIL
//	              reads all CMYK JPEGs as inverted ("CMYK;I")
func (d *jpegDecoder) output() (*Image, error) {
	if !d.sawFrame || d.scans == 0 {
		return nil, errors.New("no image data")
	}
	w, h := d.width, d.height
	planes := make([][]uint8, len(d.comps))
	for i := range d.comps {
		c := &d.comps[i]
		if c.qt == nil {
			return nil, errors.New("a component has no scan")
		}
		full := c.h == d.hmax && c.v == d.vmax
		samples := c.idct()
		if full {
			// Trim the block padding.
			p := make([]uint8, w*h)
			stride := c.wib * 8
			for y := range h {
				copy(p[y*w:(y+1)*w], samples[y*stride:])
			}
			planes[i] = p
			continue
		}
		rows := make([][]uint8, c.dh)
		for y := range rows {
			rows[y] = samples[y*c.wib*8 : y*c.wib*8+c.dw]
		}
		planes[i] = upsampleChroma(rows, w, h, d.hmax/c.h, d.vmax/c.v)
	}

	switch len(d.comps) {
	case 1:
		return &Image{mode: ModeL, width: w, height: h, pix: planes[0]}, nil
	case 3:
		m := &Image{mode: ModeRGB, width: w, height: h, pix: make([]uint8, 3*w*h)}
		if d.isRGB() {
			for i := range w * h {
				m.pix[3*i], m.pix[3*i+1], m.pix[3*i+2] = planes[0][i], planes[1][i], planes[2][i]
			}
			return m, nil
		}
		for i := range w * h {
			m.pix[3*i], m.pix[3*i+1], m.pix[3*i+2] = yccToRGB(planes[0][i], planes[1][i], planes[2][i])
		}
		return m, nil
	default:
		m := &Image{mode: ModeCMYK, width: w, height: h, pix: make([]uint8, 4*w*h)}
		ycck := d.adobe && d.transform != 0
		for i := range w * h {
			c, mg, y, k := planes[0][i], planes[1][i], planes[2][i], planes[3][i]
			if ycck {
				// libjpeg stores 255-R, 255-G, 255-B; PIL's inversion
				// makes that R, G, B.
				c, mg, y = yccToRGB(c, mg, y)
			} else {
				c, mg, y = 255-c, 255-mg, 255-y
			}
			m.pix[4*i], m.pix[4*i+1], m.pix[4*i+2], m.pix[4*i+3] = c, mg, y, 255-k
		}
		return m, nil
	}
}

// isRGB is libjpeg's guess at the colour space of a 3-component file.
func (d *jpegDecoder) isRGB() bool {
	switch {
	case d.jfif:
		return false
	case d.adobe:
		return d.transform == 0
	}
	return d.comps[0].id == 'R' && d.comps[1].id == 'G' && d.comps[2].id == 'B'
}

// idct returns the component's samples, [hib*8][wib*8].
func (c *jpegComponent) idct() []uint8 {
	stride := c.wib * 8
	out := make([]uint8, stride*c.hib*8)
	for by := range c.hib {
		for bx := range c.wib {
			b := (*[64]int16)(c.coef[(by*c.bw+bx)*64:])
			idctBlock(b, c.qt, out[by*8*stride+bx*8:], stride)
		}
	}
	return out
}
