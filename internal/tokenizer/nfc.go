package tokenizer

import (
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// cgj is U+034F COMBINING GRAPHEME JOINER.
const cgj = "\u034f"

// nfc is unicodedata.normalize("NFC", s). golang.org/x/text follows the
// Stream-Safe Text Format and inserts a CGJ into any run of more than 30
// combining marks (as "zalgo" text has), which Python does not; such text is
// normalized here by the textbook algorithm instead.
func nfc(s string) string {
	out := norm.NFC.String(s)
	if !strings.Contains(out, cgj) || strings.Count(out, cgj) == strings.Count(s, cgj) {
		return out
	}
	return nfcSlow(s)
}

// nfcSlow normalizes s to NFC without a bound on combining marks: canonical
// decomposition, canonical ordering (a stable sort of each run of marks by
// combining class), then canonical composition as in UAX #15.
func nfcSlow(s string) string {
	// Decomposing one character at a time never meets a long run.
	var d []rune
	for _, r := range s {
		d = append(d, []rune(norm.NFD.String(string(r)))...)
	}
	ccc := func(r rune) uint8 { return norm.NFD.PropertiesString(string(r)).CCC() }
	for i := 0; i < len(d); {
		if ccc(d[i]) == 0 {
			i++
			continue
		}
		j := i
		for j < len(d) && ccc(d[j]) != 0 {
			j++
		}
		slices.SortStableFunc(d[i:j], func(a, b rune) int { return int(ccc(a)) - int(ccc(b)) })
		i = j
	}
	if len(d) == 0 {
		return ""
	}
	out := d[:1]
	starter := 0
	last := ccc(d[0])
	if last != 0 {
		last = 255 // no starter yet: nothing composes
		starter = -1
	}
	for _, r := range d[1:] {
		c := ccc(r)
		if starter >= 0 && (last < c || last == 0) {
			if p, ok := compose(out[starter], r); ok {
				out[starter] = p
				continue
			}
		}
		if c == 0 {
			starter = len(out)
		}
		last = c
		out = append(out, r)
	}
	return string(out)
}

// compose returns the primary composite of a and b, if there is one: NFC of
// the pair is then a single character.
func compose(a, b rune) (rune, bool) {
	rs := []rune(norm.NFC.String(string([]rune{a, b})))
	if len(rs) == 1 {
		return rs[0], true
	}
	return 0, false
}
