package safetensors

import "fmt"

// The dtypes this package reads and writes, spelled as in the safetensors
// header.
const (
	F64  = "F64"
	F32  = "F32"
	F16  = "F16"
	BF16 = "BF16"
	I64  = "I64"
	I32  = "I32"
	I16  = "I16"
	I8   = "I8"
	U64  = "U64"
	U32  = "U32"
	U16  = "U16"
	U8   = "U8"
	BOOL = "BOOL"
)

// dtypeSizes is the element size in bytes of every supported dtype. The
// unsigned 16/32/64-bit types are accepted because PyTorch can save them;
// 8-bit floats and complex types are not (CLIP checkpoints never use them).
var dtypeSizes = map[string]int{
	F64: 8, F32: 4, F16: 2, BF16: 2,
	I64: 8, I32: 4, I16: 2, I8: 1,
	U64: 8, U32: 4, U16: 2, U8: 1,
	BOOL: 1,
}

// DTypeSize returns the element size in bytes of dtype, or an error naming
// an unsupported one.
func DTypeSize(dtype string) (int, error) {
	if n, ok := dtypeSizes[dtype]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("unsupported dtype %q", dtype)
}
