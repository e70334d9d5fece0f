package tokenizer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// openAIMergeCount is how many merges SimpleTokenizer uses: lines 1..48894 of
// bpe_simple_vocab_16e6.txt.gz (merges[1:49152-256-2+1]), so that the
// vocabulary has 49152-2 byte and merge tokens plus the two special ones.
const openAIMergeCount = 49152 - 256 - 2

// LoadFile loads a tokenizer from a file:
//
//   - OpenAI's bpe_simple_vocab_16e6.txt.gz, gzip-compressed or plain text
//     (any name; the gzip header is detected), or
//   - a HuggingFace vocab.json (any name ending in .json), with merges.txt
//     beside it.
func LoadFile(path string) (*Tokenizer, error) {
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return LoadHF(path, filepath.Join(filepath.Dir(path), "merges.txt"))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return parseMergesFile(path, data)
}

// LoadHF loads a HuggingFace CLIP tokenizer: vocab.json ({token: id}) and
// merges.txt (an optional "#version" header, then one "left right" merge a
// line, ranked by order). Ids come from vocab.json as they are.
func LoadHF(vocabPath, mergesPath string) (*Tokenizer, error) {
	vdata, err := os.ReadFile(vocabPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	var vocab map[string]int
	if err := json.Unmarshal(vdata, &vocab); err != nil {
		return nil, fmt.Errorf("tokenizer: %s: not a vocabulary object {token: id}: %w", vocabPath, err)
	}
	if len(vocab) == 0 {
		return nil, fmt.Errorf("tokenizer: %s: empty vocabulary", vocabPath)
	}
	maxID := -1
	for tok, id := range vocab {
		if id < 0 || id >= 1<<24 {
			return nil, fmt.Errorf("tokenizer: %s: token %q has id %d out of range", vocabPath, tok, id)
		}
		maxID = max(maxID, id)
	}
	decoder := make([]string, maxID+1)
	seen := make([]bool, maxID+1)
	// Sorted so that the error names the same token every run.
	toks := make([]string, 0, len(vocab))
	for tok := range vocab {
		toks = append(toks, tok)
	}
	sort.Strings(toks)
	for _, tok := range toks {
		id := vocab[tok]
		if seen[id] {
			return nil, fmt.Errorf("tokenizer: %s: id %d is used by both %q and %q", vocabPath, id, decoder[id], tok)
		}
		seen[id] = true
		decoder[id] = tok
	}

	mdata, err := os.ReadFile(mergesPath)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: merges.txt must accompany %s: %w", vocabPath, err)
	}
	pairs, err := readMerges(mergesPath, mdata, 0, -1)
	if err != nil {
		return nil, err
	}
	return build(vocabPath, mergesPath, vocab, decoder, pairs)
}

// parseMergesFile builds the tokenizer of an OpenAI merges file (gzip or
// plain) exactly as SimpleTokenizer.__init__ does.
func parseMergesFile(name string, data []byte) (*Tokenizer, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %s: corrupt gzip header: %w", name, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %s: corrupt or truncated gzip data: %w", name, err)
		}
		data = plain
	}
	pairs, err := readMerges(name, data, 1, openAIMergeCount)
	if err != nil {
		return nil, err
	}
	// Vocabulary order of SimpleTokenizer: the 256 byte characters, the same
	// with "</w>", one token per merge, then the two special tokens. In a
	// Python dict built from that list a repeated token keeps its last id.
	list := make([]string, 0, 2*256+len(pairs)+2)
	for _, b := range byteOrder {
		list = append(list, string(byteChar[b]))
	}
	for _, b := range byteOrder {
		list = append(list, string(byteChar[b])+endOfWord)
	}
	for _, p := range pairs {
		list = append(list, p.left+p.right)
	}
	list = append(list, startOfTextToken, endOfTextToken)
	vocab := make(map[string]int, len(list))
	for id, tok := range list {
		vocab[tok] = id
	}
	return build(name, name, vocab, list, pairs)
}

// mergeLine is one merge rule as read, with its 1-based line for errors.
type mergeLine struct {
	left, right string
	line        int
}

// readMerges reads merge rules: lines are split on white space into exactly
// two fields. skip is the number of header lines to drop (OpenAI's file has
// one); a HuggingFace "#version" header is dropped when skip is 0. want >= 0
// asks for exactly that many rules, the rest of the file being ignored as
// SimpleTokenizer ignores it; a shorter file is an error.
func readMerges(name string, data []byte, skip, want int) ([]mergeLine, error) {
	var pairs []mergeLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line <= skip || (line == 1 && skip == 0 && strings.HasPrefix(text, "#version")) {
			continue
		}
		if want >= 0 && len(pairs) == want {
			break
		}
		fields := strings.Fields(text)
		if len(fields) == 0 && want < 0 {
			continue // blank lines (a trailing newline) in merges.txt
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("tokenizer: %s:%d: a merge needs exactly two symbols, found %d in %q", name, line, len(fields), text)
		}
		pairs = append(pairs, mergeLine{fields[0], fields[1], line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tokenizer: %s:%d: %w", name, line+1, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("tokenizer: %s: empty file", name)
	}
	if want >= 0 && len(pairs) < want {
		return nil, fmt.Errorf("tokenizer: %s:%d: file ends after %d merges, want %d (truncated?)", name, line, len(pairs), want)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("tokenizer: %s: no merges", name)
	}
	return pairs, nil
}

// build assembles a Tokenizer from a vocabulary (token -> id, with decoder
// its inverse) and ranked merges. Every symbol the BPE can produce must be
// in the vocabulary, which is checked here so that encoding never fails.
func build(vocabName, mergesName string, vocab map[string]int, decoder []string, pairs []mergeLine) (*Tokenizer, error) {
	t := &Tokenizer{
		decoder: decoder,
		merges:  make(map[uint64]merge, len(pairs)),
		cache:   newWordCache(),
	}
	lookup := func(tok string) (int32, error) {
		id, ok := vocab[tok]
		if !ok {
			return 0, fmt.Errorf("tokenizer: %s: token %q missing from the vocabulary", vocabName, tok)
		}
		return int32(id), nil
	}
	var err error
	for b := 0; b < 256; b++ {
		if t.byteID[b], err = lookup(string(byteChar[b])); err != nil {
			return nil, err
		}
		if t.byteEndID[b], err = lookup(string(byteChar[b]) + endOfWord); err != nil {
			return nil, err
		}
	}
	if t.sot, err = lookup(startOfTextToken); err != nil {
		return nil, err
	}
	if t.eot, err = lookup(endOfTextToken); err != nil {
		return nil, err
	}
	for rank, p := range pairs {
		a, okA := vocab[p.left]
		b, okB := vocab[p.right]
		m, okM := vocab[p.left+p.right]
		if !okA || !okB || !okM {
			return nil, fmt.Errorf("tokenizer: %s:%d: merge %q %q uses a token missing from %s", mergesName, p.line, p.left, p.right, vocabName)
		}
		// A repeated pair keeps its last rank, as in Python's dict(zip(...)).
		t.merges[pairKey(int32(a), int32(b))] = merge{rank: int32(rank), id: int32(m)}
	}
	return t, nil
}

// Find returns the tokenizer file of a model folder, or "" if it has none.
// It looks in dir, then in dir/tokenizer, for (in this order)
// bpe_simple_vocab_16e6.txt.gz, any other *.txt.gz merges file, and a
// vocab.json with merges.txt beside it. The result can be given to LoadFile.
func Find(dir string) string {
	for _, d := range []string{dir, filepath.Join(dir, "tokenizer")} {
		if p := filepath.Join(d, "bpe_simple_vocab_16e6.txt.gz"); isFile(p) {
			return p
		}
		if gz, _ := filepath.Glob(filepath.Join(d, "*.txt.gz")); len(gz) > 0 {
			sort.Strings(gz)
			for _, p := range gz {
				if isFile(p) {
					return p
				}
			}
		}
		if p := filepath.Join(d, "vocab.json"); isFile(p) && isFile(filepath.Join(d, "merges.txt")) {
			return p
		}
	}
	return ""
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
