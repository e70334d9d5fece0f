package tokenizer

import "slices"

// longWord is the length (in bytes) from which bpe switches from the plain
// quadratic loop to the heap-based one. Nearly all words are shorter.
const longWord = 48

// bpe appends to dst the ids of one word (a pre-token, UTF-8) after
// byte-level BPE, exactly as SimpleTokenizer.bpe: the word's bytes become
// byte-level symbols, "</w>" is glued to the last one, and then, as long as
// some adjacent pair has a merge rule, every occurrence of the pair with the
// lowest rank is merged, left to right without overlap.
//
// Symbols are vocabulary ids rather than strings: each symbol string has
// exactly one id, so merging ids is the same as merging strings and looking
// the results up at the end.
func (t *Tokenizer) bpe(word string, dst []int32) []int32 {
	start := len(dst)
	for i := 0; i < len(word); i++ {
		dst = append(dst, t.byteID[word[i]])
	}
	if len(dst) == start {
		return dst
	}
	dst[len(dst)-1] = t.byteEndID[word[len(word)-1]]
	if len(word) >= longWord {
		return append(dst[:start], t.mergeLong(dst[start:])...)
	}
	return dst[:start+len(t.mergeShort(dst[start:]))]
}

// mergeShort applies the merges to syms in place, as the reference does: each
// round scans all pairs for the lowest rank, then merges that pair
// everywhere. Quadratic in the length, and the fastest for short words.
func (t *Tokenizer) mergeShort(syms []int32) []int32 {
	for len(syms) > 1 {
		best := merge{rank: -1}
		var a, b int32
		for i := 0; i+1 < len(syms); i++ {
			m, ok := t.merges[pairKey(syms[i], syms[i+1])]
			if ok && (best.rank < 0 || m.rank < best.rank) {
				best, a, b = m, syms[i], syms[i+1]
			}
		}
		if best.rank < 0 {
			break
		}
		w := 0
		for i := 0; i < len(syms); {
			if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
				syms[w] = best.id
				i += 2
			} else {
				syms[w] = syms[i]
				i++
			}
			w++
		}
		syms = syms[:w]
	}
	return syms
}

// pairAt is a candidate merge of the symbol at pos with the one after it.
type pairAt struct {
	rank, pos int32
	left      int32 // the symbols the pair had when queued, to spot
	right     int32 // entries made stale by other merges
}

// mergeLong gives the same result as mergeShort in O(n log n): symbols form
// a linked list, candidate pairs wait in a heap ordered by rank, and all
// pairs of the lowest rank are taken out and merged left to right as one
// batch before the pairs those merges create are queued, which is what
// "merge every occurrence, then look again" means.
func (t *Tokenizer) mergeLong(syms []int32) []int32 {
	n := len(syms)
	next := make([]int32, n) // -1 at the end
	prev := make([]int32, n) // -1 at the start
	for i := range syms {
		next[i], prev[i] = int32(i+1), int32(i-1)
	}
	next[n-1] = -1
	dead := make([]bool, n)
	var h pairHeap
	push := func(pos int32) {
		if pos < 0 || next[pos] < 0 {
			return
		}
		a, b := syms[pos], syms[next[pos]]
		if m, ok := t.merges[pairKey(a, b)]; ok {
			h.push(pairAt{m.rank, pos, a, b})
		}
	}
	for i := 0; i+1 < n; i++ {
		push(int32(i))
	}
	var batch []pairAt
	var touched []int32
	for len(h) > 0 {
		rank := h[0].rank
		batch = batch[:0]
		for len(h) > 0 && h[0].rank == rank {
			batch = append(batch, h.pop())
		}
		slices.SortFunc(batch, func(x, y pairAt) int { return int(x.pos - y.pos) })
		merged := t.merges[pairKey(batch[0].left, batch[0].right)].id
		touched = touched[:0]
		for _, p := range batch {
			r := next[p.pos]
			if dead[p.pos] || r < 0 || syms[p.pos] != p.left || syms[r] != p.right {
				continue // stale, or overlapped by a merge to its left
			}
			syms[p.pos] = merged
			dead[r] = true
			next[p.pos] = next[r]
			if next[r] >= 0 {
				prev[next[r]] = p.pos
			}
			touched = append(touched, p.pos)
		}
		for _, pos := range touched {
			push(prev[pos])
			push(pos)
		}
	}
	out := syms[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, syms[i])
	}
	return out
}

// pairHeap is a binary min-heap of pairs by rank, then position.
type pairHeap []pairAt

func (h pairHeap) less(i, j int) bool {
	return h[i].rank < h[j].rank || (h[i].rank == h[j].rank && h[i].pos < h[j].pos)
}

func (h *pairHeap) push(p pairAt) {
	*h = append(*h, p)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s.less(i, parent) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *pairHeap) pop() pairAt {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s.less(l, m) {
			m = l
		}
		if r < len(s) && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
