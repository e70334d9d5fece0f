package imageproc

// libjpeg's "ISLOW" inverse DCT (jidctint.c, the default that PIL gets
// from libjpeg-turbo): the Loeffler-Ligtenberg-Moschytz algorithm in
// 13-bit fixed point, columns first with 2 extra bits of precision, then
// rows. Dequantisation happens inside, and the output goes through
// libjpeg's range-limit table, which wraps out-of-range values modulo 1024
// before clamping; all of it is integer arithmetic, so this reproduces
// libjpeg-turbo (whose SIMD versions are bit-exact with its C code).

const (
	idctConstBits = 13
	idctPass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// descale is libjpeg's DESCALE: a rounding arithmetic right shift.
func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// idctRangeLimit maps a descaled IDCT output (masked to 10 bits) to a
// sample: libjpeg's post-IDCT range-limit table with the +128 level shift.
var idctRangeLimit = func() (t [1024]uint8) {
	for i := range t {
		switch {
		case i < 128:
			t[i] = uint8(i + 128)
		case i < 512:
			t[i] = 255
		case i < 896:
			t[i] = 0
		default:
			t[i] = uint8(i - 896)
		}
	}
	return t
}()

// idct1D is the shared butterfly: inputs in0..in7 (already dequantised or
// from the first pass), the even part scaled up by constBits. It returns
// the eight outputs before descaling.
func idct1D(in0, in1, in2, in3, in4, in5, in6, in7 int64) [8]int64 {
	// Even part, with the rotator sqrt(2)*c(-6).
	z1 := (in2 + in6) * fix0_541196100
	tmp2 := z1 - in6*fix1_847759065
	tmp3 := z1 + in2*fix0_765366865
	tmp0 := (in0 + in4) << idctConstBits
	tmp1 := (in0 - in4) << idctConstBits
	tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
	tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

	// Odd part.
	t0, t1, t2, t3 := in7, in5, in3, in1
	z1 = t0 + t3
	z2 := t1 + t2
	z3 := t0 + t2
	z4 := t1 + t3
	z5 := (z3 + z4) * fix1_175875602
	t0 *= fix0_298631336
	t1 *= fix2_053119869
	t2 *= fix3_072711026
	t3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 = z3*-fix1_961570560 + z5
	z4 = z4*-fix0_390180644 + z5
	t0 += z1 + z3
	t1 += z2 + z4
	t2 += z2 + z3
	t3 += z1 + z4

	return [8]int64{tmp10 + t3, tmp11 + t2, tmp12 + t1, tmp13 + t0, tmp13 - t0, tmp12 - t1, tmp11 - t2, tmp10 - t3}
}

// idctBlock dequantises one 8x8 block of coefficients (natural order) with
// qt and writes the 8x8 samples to out at stride.
func idctBlock(coef *[64]int16, qt *[64]int32, out []uint8, stride int) {
	var ws [64]int64
	for c := range 8 {
		if coef[8+c] == 0 && coef[16+c] == 0 && coef[24+c] == 0 && coef[32+c] == 0 &&
			coef[40+c] == 0 && coef[48+c] == 0 && coef[56+c] == 0 {
			// AC terms all zero: the same result, cheaper.
			dc := int64(int32(coef[c])*qt[c]) << idctPass1Bits
			for r := range 8 {
				ws[8*r+c] = dc
			}
			continue
		}
		q := func(r int) int64 { return int64(int32(coef[8*r+c]) * qt[8*r+c]) }
		o := idct1D(q(0), q(1), q(2), q(3), q(4), q(5), q(6), q(7))
		for r := range 8 {
			ws[8*r+c] = descale(o[r], idctConstBits-idctPass1Bits)
		}
	}
	for r := range 8 {
		w := ws[8*r : 8*r+8]
		row := out[r*stride : r*stride+8]
		o := idct1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
		for c := range 8 {
			row[c] = idctRangeLimit[descale(o[c], idctConstBits+idctPass1Bits+3)&1023]
		}
	}
}
