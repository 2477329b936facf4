//go:build fewshot_shimlib

package torch

// Under the fewshot_shimlib tag the shim is the libtorchshim.so that CMake builds (CMakeLists.txt) against
// another libtorch (CUDA, the pip wheels, a libtorch zip file), found through CGO_LDFLAGS at link time, e.g.
//
//	CGO_LDFLAGS="-L$PWD/build -Wl,-rpath,$PWD/build" go build -tags fewshot_shimlib ./cmd/fewshot
//
// and at run time through that rpath, LD_LIBRARY_PATH or an rpath of '$ORIGIN'.

// #cgo LDFLAGS: -ltorchshim
import "C"
