package checkpoint

import (
	"fmt"
	"slices"

	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

// Shape returns the shape of the tensor an OpenCLIP name maps to (after
// q/k/v stacking and transposes); ok is false for a name the architecture
// does not have. A scalar may be reported as [] or [1], as stored.
func (c *Checkpoint) Shape(name string) ([]int, bool) {
	src, ok := c.srcs[name]
	if !ok {
		return nil, false
	}
	return slices.Clone(src.shape), true
}

// ReadTensor decodes the tensor with OpenCLIP name name into dst, which
// must hold exactly its elements, converting on the fly: F16, BF16 and F64
// become float32, HF's q, k and v are read side by side into in_proj, and
// HF's two projection matrices are transposed. Float32 tensors in OpenCLIP
// names are read from the file straight into dst; a transposed projection
// passes through one temporary of its size, the only one. Errors name the
// file and the tensor.
func (c *Checkpoint) ReadTensor(name string, dst []float32) error {
	src, ok := c.srcs[name]
	switch {
	case !ok:
		return fmt.Errorf("checkpoint %s: no tensor %q in this architecture", c.WeightsPath, name)
	case c.closed || c.file == nil:
		return fmt.Errorf("checkpoint %s: reading tensor %q: checkpoint is closed", c.WeightsPath, name)
	case len(dst) != numel(src.shape):
		return fmt.Errorf("checkpoint %s: tensor %q has shape %v, destination holds %d values", c.WeightsPath, name, src.shape, len(dst))
	}
	if err := src.readInto(c.file, dst); err != nil {
		if o := src.origin(name); o != "" {
			// The file's error names the file key; add the OpenCLIP name.
			return fmt.Errorf("tensor %s%s: %w", name, o, err)
		}
		return err
	}
	return nil
}

// readInto decodes the source's tensor into dst (len(dst) already checked).
func (s source) readInto(f *safetensors.File, dst []float32) error {
	if s.transpose {
		// The file holds the [out, in] transpose of what dst wants.
		tmp := make([]float32, len(dst))
		if err := f.ReadFloat32Into(s.parts[0], tmp); err != nil {
			return err
		}
		transpose(dst, tmp, s.shape[1], s.shape[0])
		return nil
	}
	n := len(dst) / len(s.parts) // q, k and v have equal shapes
	for i, part := range s.parts {
		if err := f.ReadFloat32Into(part, dst[i*n:(i+1)*n]); err != nil {
			return err
		}
	}
	return nil
}

// checkDTypes reports the first tensor of the table (in table order) stored
// in a dtype that is not floating point, before any data is read.
func (s sources) checkDTypes(f *safetensors.File, table []model.ParamSpec) error {
	for _, p := range table {
		for _, part := range s[p.Name].parts {
			dtype, _, _ := f.Info(part)
			switch dtype {
			case safetensors.F32, safetensors.F16, safetensors.BF16, safetensors.F64:
				continue
			}
			return fmt.Errorf("tensor %q%s is %s, not a floating-point dtype", part, s[p.Name].forName(p.Name), dtype)
		}
	}
	return nil
}

// numel is the element count of a shape ([] is a scalar: 1).
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// transpose writes the [cols, rows] transpose of the row-major [rows, cols]
// matrix src into dst.
func transpose(dst, src []float32, rows, cols int) {
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			dst[j*rows+i] = src[i*cols+j]
		}
	}
}
