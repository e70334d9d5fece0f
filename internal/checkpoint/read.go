package checkpoint

import (
	"fmt"

	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/safetensors"
)

// read decodes every tensor of the table into float32 (F16, BF16 and F64
// are converted). Each tensor is decoded straight into its final slice, so
// loading needs no second copy of the weights; only the two transposed
// projections pass through a temporary.
func (s sources) read(f *safetensors.File, table []model.ParamSpec) (map[string]model.HostTensor, error) {
	out := make(map[string]model.HostTensor, len(table))
	for _, p := range table {
		src := s[p.Name]
		data := make([]float32, p.Numel())
		if src.transpose {
			tmp, _, err := f.Float32(src.parts[0])
			if err != nil {
				return nil, err
			}
			transpose(data, tmp, src.shape[1], src.shape[0])
		} else {
			off := 0
			for _, part := range src.parts {
				n := len(data) / len(src.parts) // q, k and v have equal shapes
				if err := f.ReadFloat32Into(part, data[off:off+n]); err != nil {
					return nil, fmt.Errorf("%s: %w", p.Name, err)
				}
				off += n
			}
		}
		out[p.Name] = model.HostTensor{Shape: shapeOf(p.Shape), Data: data}
	}
	return out, nil
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
