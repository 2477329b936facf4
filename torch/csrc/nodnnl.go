//go:build fewshot_nodnnl

package csrc

// The tag fewshot_nodnnl leaves the direct oneDNN linears out even where oneDNN's headers are installed
// (PackedLinearAvailable then reports false).

// #cgo CPPFLAGS: -DFEWSHOT_NO_DNNL
import "C"
