//go:build !fewshot_shimlib

package torch

// The shim's C++ (torch/csrc) is compiled by cgo in a package of its own, so that a change to this
// package's Go files does not recompile it; its objects and libtorch's libraries join every binary that
// imports torch.
import _ "github.com/fewshot-go/fewshot/torch/csrc"
