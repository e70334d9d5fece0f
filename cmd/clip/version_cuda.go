//go:build cuda

package main

// Built with -tags cuda: the GPU backend is compiled in.
func init() {
	buildTags = append(buildTags, "cuda")
	backends = append(backends, "cuda")
}
