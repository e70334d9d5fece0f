//go:build cuda

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clip-go/clip/internal/cuda"
	"github.com/clip-go/clip/internal/cuda/cublaslt"
	"github.com/clip-go/clip/internal/cuda/nccl"
)

// newGPUCmd is `clip gpu` (CUDA builds only): it opens a GPU the way
// training will (primary context, stream, every embedded kernel JIT-loaded
// and resolved) and reports the device, the kernels and the dlopen'ed
// libraries, so a GPU machine's setup can be checked in one command.
func init() { taggedCommands = append(taggedCommands, newGPUCmd) }

func newGPUCmd(a *app) *cobra.Command {
	var ordinal int
	cmd := &cobra.Command{
		Use:   "gpu",
		Short: "Check the GPU: device, kernels, cuBLASLt and NCCL (CUDA builds)",
		Args:  noArgs,
		RunE: a.command(func(cmd *cobra.Command, args []string) error {
			d, err := cuda.Open(ordinal)
			if err != nil {
				return err
			}
			w := a.stdout
			fmt.Fprintln(w, d.Info())
			fmt.Fprintf(w, "kernels loaded: %s\n", strings.Join(d.Kernels(), " "))
			if p, err := cublaslt.Load(); err != nil {
				fmt.Fprintf(w, "cuBLASLt: not found (%v)\n", err)
			} else {
				fmt.Fprintf(w, "cuBLASLt: %s (version %d)\n", p, cublaslt.Version())
			}
			if p, err := nccl.Load(); err != nil {
				fmt.Fprintf(w, "NCCL: not found (%v)\n", err)
			} else {
				v, _ := nccl.Version()
				fmt.Fprintf(w, "NCCL: %s (version %d)\n", p, v)
			}
			return d.Close()
		}),
	}
	cmd.Flags().IntVar(&ordinal, "device", 0, "GPU ordinal")
	return cmd
}
