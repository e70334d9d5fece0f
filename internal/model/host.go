package model

// HostTensor is a float32 tensor in host memory, as read from a checkpoint or
// returned to a caller.
type HostTensor struct {
	Shape []int
	Data  []float32
}
