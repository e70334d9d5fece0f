package data

import (
	"fmt"
	"strconv"
	"strings"
)

// maxExpansion bounds ExpandBraces, so a typo such as {0..99999999} is an
// error rather than an exhausted memory.
const maxExpansion = 1 << 22

// ExpandBraces expands a shell-style brace pattern into the list of names
// it stands for, in order:
//
//	"a/{00000..00099}.tar"  -> a/00000.tar ... a/00099.tar (zero padding kept)
//	"{a,b}.tar"             -> a.tar b.tar
//	"{a,b}-{1..2}"          -> a-1 a-2 b-1 b-2 (several groups: product)
//	"{1..9..4}", "{3..1}"   -> 1 5 9; 3 2 1 (step, descending)
//	"{a,{b,c}}"             -> a b c (nested)
//
// A numeric range is padded when an endpoint is written with leading
// zeros (Python's braceexpand rule). A pattern without braces is returned
// as is. Unbalanced braces, an empty group, a group that is neither a list
// nor a numeric range, and over 4M results are errors.
func ExpandBraces(pattern string) ([]string, error) {
	out, err := expand(pattern)
	if err != nil {
		return nil, fmt.Errorf("data: brace pattern %q: %w", pattern, err)
	}
	return out, nil
}

func expand(s string) ([]string, error) {
	open := strings.IndexAny(s, "{}")
	if open < 0 {
		return []string{s}, nil
	}
	if s[open] == '}' {
		return nil, fmt.Errorf("unmatched \"}\" at %q", s[open:])
	}
	end := matchingBrace(s, open)
	if end < 0 {
		return nil, fmt.Errorf("unmatched \"{\" at %q", s[open:])
	}
	alts, err := expandGroup(s[open+1 : end])
	if err != nil {
		return nil, err
	}
	rest, err := expand(s[end+1:])
	if err != nil {
		return nil, err
	}
	if len(alts)*len(rest) > maxExpansion {
		return nil, fmt.Errorf("expands to more than %d names", maxExpansion)
	}
	prefix := s[:open]
	out := make([]string, 0, len(alts)*len(rest))
	for _, a := range alts {
		for _, r := range rest {
			out = append(out, prefix+a+r)
		}
	}
	return out, nil
}

// matchingBrace is the index of the "}" closing the "{" at s[open], or -1.
func matchingBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// expandGroup expands the inside of one {...}: a comma list (each item
// expanded in turn) or a numeric range.
func expandGroup(body string) ([]string, error) {
	if body == "" {
		return nil, fmt.Errorf("empty group \"{}\"")
	}
	var items []string
	depth, start := 0, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				items = append(items, body[start:i])
				start = i + 1
			}
		}
	}
	items = append(items, body[start:])
	if len(items) == 1 {
		return expandRange(body)
	}
	var out []string
	for _, it := range items {
		e, err := expand(it)
		if err != nil {
			return nil, err
		}
		out = append(out, e...)
		if len(out) > maxExpansion {
			return nil, fmt.Errorf("expands to more than %d names", maxExpansion)
		}
	}
	return out, nil
}

// expandRange expands "lo..hi" or "lo..hi..step" (integers).
func expandRange(body string) ([]string, error) {
	parts := strings.Split(body, "..")
	if len(parts) != 2 && len(parts) != 3 {
		return nil, fmt.Errorf("group {%s} is neither a comma list nor a numeric range lo..hi", body)
	}
	var nums [3]int
	nums[2] = 1
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("group {%s}: %q is not an integer", body, p)
		}
		nums[i] = n
	}
	lo, hi, step := nums[0], nums[1], nums[2]
	if step == 0 {
		return nil, fmt.Errorf("group {%s}: step 0", body)
	}
	if step < 0 {
		step = -step
	}
	span := hi - lo
	if span < 0 {
		span, step = -span, -step
	}
	count := span/abs(step) + 1
	if count > maxExpansion {
		return nil, fmt.Errorf("group {%s} expands to more than %d names", body, maxExpansion)
	}
	width := 0
	if padded(parts[0]) || padded(parts[1]) {
		width = max(len(parts[0]), len(parts[1]))
	}
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("%0*d", width, lo+i*step)
	}
	return out, nil
}

// padded reports whether an integer is written with leading zeros.
func padded(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return len(s) > 1 && s[0] == '0'
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
