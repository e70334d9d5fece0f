package safetensors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// MaxHeaderSize bounds the JSON header, as the reference implementation
// does, so that a corrupt length cannot trigger a huge allocation.
const MaxHeaderSize = 100 << 20

// metadataKey is the reserved header key holding free-form string metadata.
const metadataKey = "__metadata__"

// entry is one validated tensor of the header. begin and end are byte
// offsets relative to the start of the data region.
type entry struct {
	dtype      string
	shape      []int
	numel      int64
	begin, end int64
}

// header is a parsed and validated safetensors header.
type header struct {
	tensors  map[string]entry
	metadata map[string]string
}

// rawEntry is a tensor entry as it appears in the JSON. Pointers tell a
// missing field from an empty one (a scalar has shape []).
type rawEntry struct {
	DType   *string  `json:"dtype"`
	Shape   *[]int64 `json:"shape"`
	Offsets *[]int64 `json:"data_offsets"`
}

// parseHeader decodes and validates the JSON header of a file whose data
// region holds dataLen bytes. Every tensor must have a known dtype, a shape
// of non-negative dimensions whose byte size equals its offsets' span, and
// offsets inside the data region; tensors must not overlap.
func parseHeader(b []byte, dataLen int64) (*header, error) {
	b = bytes.TrimRight(b, " ")
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("header is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	h := &header{tensors: map[string]entry{}}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		name, ok := tok.(string)
		if !ok { // the decoder yields only string keys here; be defensive anyway
			return nil, fmt.Errorf("header: unexpected %v", tok)
		}
		if seen[name] {
			return nil, fmt.Errorf("header: key %q appears twice", name)
		}
		seen[name] = true
		if name == metadataKey {
			if err := dec.Decode(&h.metadata); err != nil {
				return nil, fmt.Errorf("header: %s must map strings to strings: %w", metadataKey, err)
			}
			continue
		}
		raw, err := decodeEntry(dec)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		e, err := raw.validate(dataLen)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		h.tensors[name] = e
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("header: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("header: unexpected data after the JSON object")
	}
	if err := checkOverlaps(h.tensors); err != nil {
		return nil, err
	}
	return h, nil
}

// decodeEntry decodes one tensor entry, phrasing type errors in the
// format's terms rather than Go's.
func decodeEntry(dec *json.Decoder) (rawEntry, error) {
	var msg json.RawMessage
	if err := dec.Decode(&msg); err != nil {
		return rawEntry{}, err
	}
	if msg[0] != '{' {
		return rawEntry{}, errors.New("entry is not a JSON object")
	}
	var raw rawEntry
	if err := json.Unmarshal(msg, &raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return rawEntry{}, fmt.Errorf("field %q: invalid value (%s)", te.Field, te.Value)
		}
		return rawEntry{}, err
	}
	return raw, nil
}

// validate checks one entry against the data region and converts it.
func (r rawEntry) validate(dataLen int64) (entry, error) {
	switch {
	case r.DType == nil:
		return entry{}, errors.New("missing dtype")
	case r.Shape == nil:
		return entry{}, errors.New("missing shape")
	case r.Offsets == nil:
		return entry{}, errors.New("missing data_offsets")
	case len(*r.Offsets) != 2:
		return entry{}, fmt.Errorf("data_offsets must hold 2 numbers, got %d", len(*r.Offsets))
	}
	size, err := DTypeSize(*r.DType)
	if err != nil {
		return entry{}, err
	}
	e := entry{dtype: *r.DType, numel: 1, begin: (*r.Offsets)[0], end: (*r.Offsets)[1]}
	for _, d := range *r.Shape {
		if d < 0 {
			return entry{}, fmt.Errorf("negative dimension in shape %v", *r.Shape)
		}
		if int64(int(d)) != d || (d != 0 && e.numel > math.MaxInt64/d) {
			return entry{}, fmt.Errorf("shape %v is too large", *r.Shape)
		}
		e.numel *= d
		e.shape = append(e.shape, int(d))
	}
	if e.shape == nil {
		e.shape = []int{}
	}
	if e.numel > math.MaxInt64/int64(size) {
		return entry{}, fmt.Errorf("shape %v is too large", *r.Shape)
	}
	switch {
	case e.begin < 0 || e.end < 0:
		return entry{}, fmt.Errorf("negative data_offsets [%d, %d]", e.begin, e.end)
	case e.begin > e.end:
		return entry{}, fmt.Errorf("data_offsets [%d, %d] begin after end", e.begin, e.end)
	case e.end > dataLen:
		return entry{}, fmt.Errorf("data_offsets [%d, %d] run past the end of the data (%d bytes)", e.begin, e.end, dataLen)
	case e.numel*int64(size) != e.end-e.begin:
		return entry{}, fmt.Errorf("%s shape %v needs %d bytes but data_offsets [%d, %d] span %d",
			e.dtype, e.shape, e.numel*int64(size), e.begin, e.end, e.end-e.begin)
	}
	return e, nil
}

// checkOverlaps rejects tensors whose bytes overlap: a writer never produces
// them, and aliasing would let one corrupt tensor silently feed another.
func checkOverlaps(tensors map[string]entry) error {
	type span struct {
		name       string
		begin, end int64
	}
	spans := make([]span, 0, len(tensors))
	for name, e := range tensors {
		if e.end > e.begin { // empty tensors occupy no bytes
			spans = append(spans, span{name, e.begin, e.end})
		}
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].name < spans[j].name
	})
	for i := 1; i < len(spans); i++ {
		if p, s := spans[i-1], spans[i]; s.begin < p.end {
			return fmt.Errorf("tensor %q [%d, %d] overlaps tensor %q [%d, %d]", s.name, s.begin, s.end, p.name, p.begin, p.end)
		}
	}
	return nil
}
