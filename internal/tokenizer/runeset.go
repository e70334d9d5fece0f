package tokenizer

import "sort"

// runeSet is a set of code points stored as sorted, disjoint ranges.
type runeSet []runeRange

type runeRange struct{ lo, hi rune }

// newRuneSet builds a set of single characters.
func newRuneSet(rs []rune) runeSet {
	var s runeSet
	for _, r := range rs {
		s = append(s, runeRange{r, r})
	}
	return s.normalize()
}

// span is the set of characters lo..hi.
func span(lo, hi rune) runeSet { return runeSet{{lo, hi}} }

// chars is the set of the characters of s.
func chars(s string) runeSet { return newRuneSet([]rune(s)) }

// union joins sets.
func union(sets ...runeSet) runeSet {
	var s runeSet
	for _, x := range sets {
		s = append(s, x...)
	}
	return s.normalize()
}

func (s runeSet) normalize() runeSet {
	if len(s) == 0 {
		return s
	}
	sort.Slice(s, func(i, j int) bool { return s[i].lo < s[j].lo })
	out := s[:1]
	for _, r := range s[1:] {
		last := &out[len(out)-1]
		if r.lo <= last.hi+1 {
			last.hi = max(last.hi, r.hi)
		} else {
			out = append(out, r)
		}
	}
	return out
}

// has reports whether r is in s.
func (s runeSet) has(r rune) bool {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch {
		case r < s[m].lo:
			hi = m
		case r > s[m].hi:
			lo = m + 1
		default:
			return true
		}
	}
	return false
}

// size is the number of characters in s.
func (s runeSet) size() int {
	n := 0
	for _, r := range s {
		n += int(r.hi-r.lo) + 1
	}
	return n
}
