package safetensors

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/clip-go/clip/internal/atomicfile"
)

// Tensor is one tensor to write. Data holds the elements in row-major order:
//
//   - []float32 for F32, or for F16/BF16/F64, converted (F16 and BF16 round
//     to nearest even);
//   - []float64 for F64; []int64, []int32, []int16, []int8 for I64..I8;
//     []uint64, []uint32 for U64, U32; []bool for BOOL;
//   - []uint16 for U16, or raw F16/BF16 bits;
//   - []byte: raw little-endian bytes, for any dtype;
//   - func(w io.Writer) error: streams the raw little-endian bytes, for any
//     dtype, so a caller can write a tensor it never holds in host memory
//     whole; exactly the tensor's byte size must be written.
type Tensor struct {
	Name  string
	DType string
	Shape []int
	Data  any
}

// planned is a tensor with its encoder and placement in the data region.
type planned struct {
	Tensor
	size       int // element size
	nbytes     int64
	begin, end int64
	encode     func(w io.Writer) error
}

// Write writes tensors and metadata to path as a safetensors file. Tensors
// are laid out by descending element size then name (as the reference
// implementation does, which keeps every tensor aligned to its element
// size), and the header is padded with spaces to a multiple of 8 bytes. The
// file is written atomically: to a temporary file in the same folder, synced,
// then renamed over path, so a crash never leaves a truncated checkpoint.
func Write(path string, tensors []Tensor, metadata map[string]string) error {
	plan, err := planLayout(tensors)
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	hdr, err := encodeHeader(plan, metadata)
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	if err := writeAtomic(path, func(w io.Writer) error {
		var n [8]byte
		le.PutUint64(n[:], uint64(len(hdr)))
		if _, err := w.Write(n[:]); err != nil {
			return err
		}
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		for _, p := range plan {
			cw := &countingWriter{w: w, limit: p.nbytes}
			if err := p.encode(cw); err != nil {
				return fmt.Errorf("tensor %q: %w", p.Name, err)
			}
			if cw.n != p.nbytes {
				return fmt.Errorf("tensor %q: wrote %d bytes, want %d", p.Name, cw.n, p.nbytes)
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return nil
}

// planLayout validates the tensors, picks their encoders and assigns offsets.
func planLayout(tensors []Tensor) ([]planned, error) {
	plan := make([]planned, 0, len(tensors))
	seen := map[string]bool{}
	for _, t := range tensors {
		switch {
		case t.Name == "":
			return nil, errors.New("a tensor has an empty name")
		case t.Name == metadataKey:
			return nil, fmt.Errorf("tensor name %q is reserved", t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("tensor %q appears twice", t.Name)
		}
		seen[t.Name] = true
		p, err := planTensor(t)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
		}
		plan = append(plan, p)
	}
	sort.SliceStable(plan, func(i, j int) bool {
		if plan[i].size != plan[j].size {
			return plan[i].size > plan[j].size
		}
		return plan[i].Name < plan[j].Name
	})
	var off int64
	for i := range plan {
		plan[i].begin, plan[i].end = off, off+plan[i].nbytes
		off = plan[i].end
	}
	return plan, nil
}

// planTensor checks one tensor's shape against its data and picks an encoder.
func planTensor(t Tensor) (planned, error) {
	size, err := DTypeSize(t.DType)
	if err != nil {
		return planned{}, err
	}
	numel := int64(1)
	for _, d := range t.Shape {
		if d < 0 {
			return planned{}, fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
		if d != 0 && numel > math.MaxInt64/int64(d)/int64(size) {
			return planned{}, fmt.Errorf("shape %v is too large", t.Shape)
		}
		numel *= int64(d)
	}
	p := planned{Tensor: t, size: size, nbytes: numel * int64(size)}
	enc, n, err := encoder(t.DType, t.Data)
	if err != nil {
		return planned{}, err
	}
	if n >= 0 && n != numel {
		return planned{}, fmt.Errorf("shape %v holds %d elements, data has %d", t.Shape, numel, n)
	}
	p.encode = enc
	return p, nil
}

// encodeHeader builds the JSON header, padded with spaces so that the data
// region starts at a multiple of 8.
func encodeHeader(plan []planned, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(metadata) > 0 {
		m, err := json.Marshal(metadata) // map keys come out sorted
		if err != nil {
			return nil, err
		}
		b.WriteString(`"` + metadataKey + `":`)
		b.Write(m)
	}
	for i, p := range plan {
		if i > 0 || len(metadata) > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(p.Name)
		if err != nil {
			return nil, err
		}
		shape := p.Shape
		if shape == nil {
			shape = []int{} // a scalar: "shape":[] rather than null
		}
		s, _ := json.Marshal(shape)
		fmt.Fprintf(&b, `%s:{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, name, p.DType, s, p.begin, p.end)
	}
	b.WriteByte('}')
	for (8+b.Len())%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

// countingWriter counts bytes and refuses to write past limit, so that a
// streaming tensor that writes too much cannot corrupt its neighbours.
type countingWriter struct {
	w        io.Writer
	n, limit int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.n+int64(len(b)) > c.limit {
		return 0, fmt.Errorf("more than the tensor's %d bytes written", c.limit)
	}
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

// writeAtomic writes a file through fill, buffered, into a temporary file
// beside path that replaces path only once complete and synced.
func writeAtomic(path string, fill func(w io.Writer) error) error {
	return atomicfile.WriteFile(path, 0o644, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}
