// Package torch drives native libtorch through a small C shim (torch/csrc, compiled by cgo as part of the
// Go build, or linked as libtorchshim.so under the fewshot_shimlib tag): tensors with explicit ownership, the ops that sentence encoders, pooling, losses
// and optimizers need, autograd, grad and inference modes, devices, threads and seeds.
//
// Ownership: every *Tensor owns one native handle. Close releases it and is idempotent; a cleanup attached
// to the Go value is only a safety net. A Scope frees everything made inside it except what it keeps.
// Errors: every native call returns its own error (C++ exceptions never cross into Go); a closed tensor,
// a shape or dtype mismatch, an index out of range or a bad device is an error, never a crash.
package torch

/*
#cgo CFLAGS: -I${SRCDIR}/csrc
#include <stdlib.h>
#include "torchshim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
)

// ErrClosed is returned when an operation is given a tensor that was closed (or a nil tensor).
var ErrClosed = errors.New("tensor is closed or nil")

// check turns a shim error into a Go error naming the operation, and frees the native message.
func check(op string, e C.ts_error) error {
	if e == nil {
		return nil
	}
	msg := C.GoString(e)
	C.ts_free_error(e)
	// libtorch appends the dispatcher's kernel table to some messages: keep the explanation only.
	if i := strings.Index(msg, "\n\n"); i > 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSpace(msg)
	return fmt.Errorf("torch: %s: %s", op, msg)
}

// Version is the libtorch version the shim was compiled against.
func Version() string { return C.GoString(C.ts_version()) }

// CUDACompiled reports whether the shim was built against a CUDA libtorch.
func CUDACompiled() bool { return C.ts_cuda_compiled() != 0 }

// LiveTensors is the number of native tensor handles created and not yet freed, process-wide.
func LiveTensors() int64 { return int64(C.ts_live_tensors()) }
