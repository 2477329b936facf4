package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fewshot-go/fewshot/torch"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the libtorch version, CUDA and thread facts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "libtorch %s\n", torch.Version())
			fmt.Fprintf(out, "cuda compiled: %v, available: %v, devices: %d\n", torch.CUDACompiled(), torch.CUDAAvailable(), torch.CUDADeviceCount())
			fmt.Fprintf(out, "onednn (mkldnn): %v\n", torch.MKLDNNAvailable())
			fmt.Fprintf(out, "intra-op threads: %d\n", torch.NumThreads())
			return nil
		},
	}
}
