package torch

/*
#include "torchshim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

func int64Ptr(v []int64) *C.int64_t {
	if len(v) == 0 {
		return nil
	}
	return (*C.int64_t)(unsafe.Pointer(&v[0]))
}

// Reshape returns a tensor with the same elements in a new shape (one dim may be -1).
func Reshape(a *Tensor, shape ...int64) (*Tensor, error) {
	h, err := handles("reshape", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	err = check("reshape", C.ts_reshape(h[0], int64Ptr(shape), C.int(len(shape)), &out))
	runtime.KeepAlive(shape)
	if err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Transpose swaps two dimensions.
func Transpose(a *Tensor, d0, d1 int64) (*Tensor, error) {
	h, err := handles("transpose", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("transpose", C.ts_transpose(h[0], C.int64_t(d0), C.int64_t(d1), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Permute reorders the dimensions.
func Permute(a *Tensor, dims ...int64) (*Tensor, error) {
	h, err := handles("permute", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	err = check("permute", C.ts_permute(h[0], int64Ptr(dims), C.int(len(dims)), &out))
	runtime.KeepAlive(dims)
	if err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Narrow returns the slice [start, start+length) of one dimension (a view).
func Narrow(a *Tensor, dim, start, length int64) (*Tensor, error) {
	h, err := handles("narrow", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("narrow", C.ts_narrow(h[0], C.int64_t(dim), C.int64_t(start), C.int64_t(length), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// IndexSelect picks entries of one dimension by an int64 index tensor.
func IndexSelect(a *Tensor, dim int64, index *Tensor) (*Tensor, error) {
	h, err := handles("index_select", a, index)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("index_select", C.ts_index_select(h[0], C.int64_t(dim), h[1], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Gather picks values along dim by an index tensor of the same rank (torch.gather).
func Gather(a *Tensor, dim int64, index *Tensor) (*Tensor, error) {
	h, err := handles("gather", a, index)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("gather", C.ts_gather(h[0], C.int64_t(dim), h[1], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

func catOrStack(name string, stack bool, ts []*Tensor, dim int64) (*Tensor, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("torch: %s: no tensors", name)
	}
	hs, err := handles(name, ts...)
	if err != nil {
		return nil, err
	}
	// hs holds only C pointers, so passing it to C is allowed; the shim copies what it needs.
	var out C.ts_tensor
	if err := check(name, C.ts_cat(&hs[0], C.int(len(hs)), C.int64_t(dim), cbool(stack), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Cat joins tensors along an existing dimension.
func Cat(ts []*Tensor, dim int64) (*Tensor, error) { return catOrStack("cat", false, ts, dim) }

// Stack joins tensors along a new dimension.
func Stack(ts []*Tensor, dim int64) (*Tensor, error) { return catOrStack("stack", true, ts, dim) }

// Unsqueeze inserts a dimension of size 1.
func Unsqueeze(a *Tensor, dim int64) (*Tensor, error) {
	h, err := handles("unsqueeze", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("unsqueeze", C.ts_unsqueeze(h[0], C.int64_t(dim), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Squeeze removes a dimension of size 1.
func Squeeze(a *Tensor, dim int64) (*Tensor, error) {
	h, err := handles("squeeze", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("squeeze", C.ts_squeeze(h[0], C.int64_t(dim), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Expand broadcasts size-1 dimensions to a larger shape (a view; -1 keeps a dimension).
func Expand(a *Tensor, shape ...int64) (*Tensor, error) {
	h, err := handles("expand", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	err = check("expand", C.ts_expand(h[0], int64Ptr(shape), C.int(len(shape)), &out))
	runtime.KeepAlive(shape)
	if err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// To converts to a dtype and moves to a device (a new handle even when nothing changes).
func (t *Tensor) To(dtype DType, dev Device) (*Tensor, error) {
	h, err := handles("to", t)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("to", C.ts_to(h[0], C.int(dtype), dev.code(), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Argmax returns the index of the largest value along dim.
func Argmax(a *Tensor, dim int64, keepdim bool) (*Tensor, error) {
	h, err := handles("argmax", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("argmax", C.ts_argmax(h[0], C.int64_t(dim), cbool(keepdim), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// TopK returns the k largest (or smallest) values along dim, sorted, and their indices.
func TopK(a *Tensor, k, dim int64, largest bool) (values, indices *Tensor, err error) {
	h, err := handles("topk", a)
	if err != nil {
		return nil, nil, err
	}
	var v, i C.ts_tensor
	if err := check("topk", C.ts_topk(h[0], C.int64_t(k), C.int64_t(dim), cbool(largest), &v, &i)); err != nil {
		return nil, nil, err
	}
	return wrap(v), wrap(i), nil
}

// Where picks a where cond is true and b elsewhere (cond must be bool; shapes broadcast).
func Where(cond, a, b *Tensor) (*Tensor, error) {
	h, err := handles("where", cond, a, b)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("where", C.ts_where(h[0], h[1], h[2], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// MaskedFill sets value where the bool mask is true.
func MaskedFill(a, mask *Tensor, value float64) (*Tensor, error) {
	h, err := handles("masked_fill", a, mask)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("masked_fill", C.ts_masked_fill(h[0], h[1], C.double(value), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Clamp limits values to [lo, hi].
func Clamp(a *Tensor, lo, hi float64) (*Tensor, error) {
	h, err := handles("clamp", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("clamp", C.ts_clamp(h[0], C.double(lo), C.double(hi), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}
