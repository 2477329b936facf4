//go:build !fewshot_nodnnl

package csrc

// The direct oneDNN linears (dnnl.cpp) call the libdnnl that libtorch itself links (Debian's libtorch
// needs libdnnl.so.2), so the process holds one oneDNN. Named by its runtime file, the link works whether
// or not oneDNN's headers are installed; without them dnnl.cpp names no oneDNN symbol.

// #cgo LDFLAGS: -l:libdnnl.so.2
import "C"
