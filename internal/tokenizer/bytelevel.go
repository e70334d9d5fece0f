package tokenizer

// GPT-2's byte-level alphabet (bytes_to_unicode in simple_tokenizer.py): every
// byte gets a printable character so that BPE can work on text. Bytes that
// are printable in Latin-1 (!..~, ¡..¬, ®..ÿ) stand for themselves; the other
// 68 bytes, in increasing order, take U+0100, U+0101, ... The vocabulary
// lists the 256 characters in that order: printable bytes first.

var (
	// byteChar maps a byte to its character.
	byteChar [256]rune
	// byteOrder lists the bytes in vocabulary order (id i <-> byteOrder[i]).
	byteOrder [256]byte
	// charByte inverts byteChar; -1 where a character stands for no byte.
	charByte [256 + 68]int16
)

func init() {
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	n := 0
	for b := 0; b < 256; b++ {
		if printable(b) {
			byteChar[b] = rune(b)
			byteOrder[n] = byte(b)
			n++
		}
	}
	extra := 0
	for b := 0; b < 256; b++ {
		if !printable(b) {
			byteChar[b] = rune(256 + extra)
			extra++
			byteOrder[n] = byte(b)
			n++
		}
	}
	for i := range charByte {
		charByte[i] = -1
	}
	for b, r := range byteChar {
		charByte[r] = int16(b)
	}
}

// charToByte inverts byteChar.
func charToByte(r rune) (byte, bool) {
	if r < 0 || int(r) >= len(charByte) || charByte[r] < 0 {
		return 0, false
	}
	return byte(charByte[r]), true
}
