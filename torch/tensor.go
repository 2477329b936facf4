package torch

/*
#include <stdlib.h>
#include "torchshim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Tensor is a handle on a libtorch tensor. It is safe to read one tensor from several goroutines;
// closing it while another goroutine uses it is a caller's race, as with any resource.
type Tensor struct {
	h       atomic.Pointer[handleBox]
	cleanup runtime.Cleanup
}

// handleBox holds the C handle so that it can be swapped atomically.
type handleBox struct{ h C.ts_tensor }

func freeHandle(h C.ts_tensor) { C.ts_tensor_free(h) }

// wrap takes ownership of a native handle.
func wrap(h C.ts_tensor) *Tensor {
	if h == nil {
		return nil
	}
	t := &Tensor{}
	t.h.Store(&handleBox{h})
	t.cleanup = runtime.AddCleanup(t, freeHandle, h)
	return t
}

// Close releases the native tensor. It is idempotent and safe on a nil *Tensor.
func (t *Tensor) Close() {
	if t == nil {
		return
	}
	if b := t.h.Swap(nil); b != nil {
		t.cleanup.Stop()
		freeHandle(b.h)
	}
}

// Closed reports whether t is nil or has been closed.
func (t *Tensor) Closed() bool { return t == nil || t.h.Load() == nil }

// handle returns the native handle, or ErrClosed.
func (t *Tensor) handle() (C.ts_tensor, error) {
	if t == nil {
		return nil, ErrClosed
	}
	b := t.h.Load()
	if b == nil {
		return nil, ErrClosed
	}
	return b.h, nil
}

// handles resolves several tensors at once, naming the operation in the error.
func handles(op string, ts ...*Tensor) ([]C.ts_tensor, error) {
	hs := make([]C.ts_tensor, len(ts))
	for i, t := range ts {
		h, err := t.handle()
		if err != nil {
			return nil, fmt.Errorf("torch: %s: operand %d: %w", op, i, err)
		}
		hs[i] = h
	}
	return hs, nil
}

// Element is a Go type that maps to one tensor dtype.
type Element interface {
	float32 | float64 | int64 | int32 | uint8 | bool
}

func dtypeOf[T Element]() DType {
	var z T
	switch any(z).(type) {
	case float32:
		return Float32
	case float64:
		return Float64
	case int64:
		return Int64
	case int32:
		return Int32
	case uint8:
		return Uint8
	case bool:
		return Bool
	}
	panic("unreachable: Element lists every case")
}

func shapeNumel(shape []int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, shape)
		}
		n *= d
	}
	return n, nil
}

// FromSlice copies data into a new CPU tensor of the given shape (a 1-D tensor when shape is empty).
func FromSlice[T Element](data []T, shape ...int64) (*Tensor, error) {
	return FromSliceOn(CPU, data, shape...)
}

// FromSliceOn copies data into a new tensor on dev.
func FromSliceOn[T Element](dev Device, data []T, shape ...int64) (*Tensor, error) {
	if len(shape) == 0 {
		shape = []int64{int64(len(data))}
	}
	n, err := shapeNumel(shape)
	if err != nil {
		return nil, fmt.Errorf("torch: from slice: %w", err)
	}
	if n != int64(len(data)) {
		return nil, fmt.Errorf("torch: from slice: %d values do not fill shape %v (%d elements)", len(data), shape, n)
	}
	var z T
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	return fromPointer(p, int64(len(data))*int64(unsafe.Sizeof(z)), shape, dtypeOf[T](), dev)
}

// FromBytes copies raw little-endian element bytes (as stored in safetensors files) into a new tensor.
func FromBytes(data []byte, dtype DType, shape []int64, dev Device) (*Tensor, error) {
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	return fromPointer(p, int64(len(data)), shape, dtype, dev)
}

func fromPointer(p unsafe.Pointer, nbytes int64, shape []int64, dtype DType, dev Device) (*Tensor, error) {
	var out C.ts_tensor
	var sp *C.int64_t
	if len(shape) > 0 {
		sp = (*C.int64_t)(unsafe.Pointer(&shape[0]))
	}
	err := check("from data", C.ts_from_data(p, C.int64_t(nbytes), sp, C.int(len(shape)), C.int(dtype), dev.code(), &out))
	runtime.KeepAlive(shape)
	if err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Scalar makes a 0-dimensional float32 tensor on the CPU.
func Scalar(v float32) (*Tensor, error) { return FromSlice([]float32{v}, []int64{}...) }

// Data copies the tensor's elements out (to the host, contiguous). T must match the tensor's dtype.
func Data[T Element](t *Tensor) ([]T, error) {
	h, err := t.handle()
	if err != nil {
		return nil, fmt.Errorf("torch: data: %w", err)
	}
	dt, err := t.DType()
	if err != nil {
		return nil, err
	}
	if want := dtypeOf[T](); dt != want {
		return nil, fmt.Errorf("torch: data: tensor is %s, asked for %s", dt, want)
	}
	n, err := t.Numel()
	if err != nil {
		return nil, err
	}
	out := make([]T, n)
	var z T
	var p unsafe.Pointer
	if n > 0 {
		p = unsafe.Pointer(&out[0])
	}
	if err := check("data", C.ts_to_data(h, p, C.int64_t(n*int64(unsafe.Sizeof(z))))); err != nil {
		return nil, err
	}
	return out, nil
}

// Bytes copies the tensor's raw element bytes out (host, contiguous, little-endian).
func (t *Tensor) Bytes() ([]byte, error) {
	h, err := t.handle()
	if err != nil {
		return nil, fmt.Errorf("torch: bytes: %w", err)
	}
	n, err := t.Numel()
	if err != nil {
		return nil, err
	}
	dt, err := t.DType()
	if err != nil {
		return nil, err
	}
	out := make([]byte, n*int64(dt.Size()))
	var p unsafe.Pointer
	if len(out) > 0 {
		p = unsafe.Pointer(&out[0])
	}
	if err := check("bytes", C.ts_to_data(h, p, C.int64_t(len(out)))); err != nil {
		return nil, err
	}
	return out, nil
}

// Float32s copies the elements out as float32, converting from any dtype.
func (t *Tensor) Float32s() ([]float32, error) {
	dt, err := t.DType()
	if err != nil {
		return nil, err
	}
	if dt == Float32 {
		return Data[float32](t)
	}
	c, err := t.To(Float32, CPU)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return Data[float32](c)
}

// Int64s copies the elements out as int64, converting from any dtype.
func (t *Tensor) Int64s() ([]int64, error) {
	dt, err := t.DType()
	if err != nil {
		return nil, err
	}
	if dt == Int64 {
		return Data[int64](t)
	}
	c, err := t.To(Int64, CPU)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return Data[int64](c)
}

// Item returns the value of a one-element tensor as float64.
func (t *Tensor) Item() (float64, error) {
	h, err := t.handle()
	if err != nil {
		return 0, fmt.Errorf("torch: item: %w", err)
	}
	var v C.double
	if err := check("item", C.ts_item(h, &v)); err != nil {
		return 0, err
	}
	return float64(v), nil
}

// Shape returns the tensor's dimensions.
func (t *Tensor) Shape() ([]int64, error) {
	h, err := t.handle()
	if err != nil {
		return nil, fmt.Errorf("torch: shape: %w", err)
	}
	var buf [16]C.int64_t
	var nd C.int
	if err := check("shape", C.ts_shape(h, &buf[0], 16, &nd)); err != nil {
		return nil, err
	}
	out := make([]int64, int(nd))
	for i := range out {
		out[i] = int64(buf[i])
	}
	return out, nil
}

// Size returns one dimension; negative dims count from the end.
func (t *Tensor) Size(dim int) (int64, error) {
	s, err := t.Shape()
	if err != nil {
		return 0, err
	}
	if dim < 0 {
		dim += len(s)
	}
	if dim < 0 || dim >= len(s) {
		return 0, fmt.Errorf("torch: size: dimension %d out of range for shape %v", dim, s)
	}
	return s[dim], nil
}

// Numel is the number of elements.
func (t *Tensor) Numel() (int64, error) {
	h, err := t.handle()
	if err != nil {
		return 0, fmt.Errorf("torch: numel: %w", err)
	}
	var v C.int64_t
	if err := check("numel", C.ts_numel(h, &v)); err != nil {
		return 0, err
	}
	return int64(v), nil
}

// DType returns the element type.
func (t *Tensor) DType() (DType, error) {
	h, err := t.handle()
	if err != nil {
		return 0, fmt.Errorf("torch: dtype: %w", err)
	}
	var v C.int
	if err := check("dtype", C.ts_dtype(h, &v)); err != nil {
		return 0, err
	}
	return DType(v), nil
}

// Device returns where the tensor lives.
func (t *Tensor) Device() (Device, error) {
	h, err := t.handle()
	if err != nil {
		return CPU, fmt.Errorf("torch: device: %w", err)
	}
	var v C.int
	if err := check("device", C.ts_device(h, &v)); err != nil {
		return CPU, err
	}
	return deviceFromCode(v), nil
}

// Alias returns a second handle on the same storage (closing one leaves the other valid).
func (t *Tensor) Alias() (*Tensor, error) {
	h, err := t.handle()
	if err != nil {
		return nil, fmt.Errorf("torch: alias: %w", err)
	}
	var out C.ts_tensor
	if err := check("alias", C.ts_shallow_clone(h, &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// String describes the tensor's shape, dtype and device (not its values).
func (t *Tensor) String() string {
	if t.Closed() {
		return "Tensor(closed)"
	}
	s, _ := t.Shape()
	d, _ := t.DType()
	dev, _ := t.Device()
	return fmt.Sprintf("Tensor(%v, %s, %s)", s, d, dev)
}

func fill(kind C.int, op string, shape []int64, dtype DType, dev Device) (*Tensor, error) {
	var out C.ts_tensor
	var sp *C.int64_t
	if len(shape) > 0 {
		sp = (*C.int64_t)(unsafe.Pointer(&shape[0]))
	}
	err := check(op, C.ts_fill(kind, sp, C.int(len(shape)), C.int(dtype), dev.code(), &out))
	runtime.KeepAlive(shape)
	if err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Zeros makes a tensor of zeros.
func Zeros(shape []int64, dtype DType, dev Device) (*Tensor, error) {
	return fill(C.TS_FILL_ZEROS, "zeros", shape, dtype, dev)
}

// Ones makes a tensor of ones.
func Ones(shape []int64, dtype DType, dev Device) (*Tensor, error) {
	return fill(C.TS_FILL_ONES, "ones", shape, dtype, dev)
}

// Randn makes a tensor of standard normal samples from the global generator (see ManualSeed).
func Randn(shape []int64, dtype DType, dev Device) (*Tensor, error) {
	return fill(C.TS_FILL_RANDN, "randn", shape, dtype, dev)
}

// Rand makes a tensor of uniform [0, 1) samples from the global generator.
func Rand(shape []int64, dtype DType, dev Device) (*Tensor, error) {
	return fill(C.TS_FILL_RAND, "rand", shape, dtype, dev)
}

// Full makes a tensor filled with value.
func Full(shape []int64, value float64, dtype DType, dev Device) (*Tensor, error) {
	var out C.ts_tensor
	var sp *C.int64_t
	if len(shape) > 0 {
		sp = (*C.int64_t)(unsafe.Pointer(&shape[0]))
	}
	err := check("full", C.ts_full(sp, C.int(len(shape)), C.double(value), C.int(dtype), dev.code(), &out))
	runtime.KeepAlive(shape)
	if err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Arange makes the 1-D tensor start, start+1, ..., end-1.
func Arange(start, end int64, dtype DType, dev Device) (*Tensor, error) {
	var out C.ts_tensor
	if err := check("arange", C.ts_arange(C.int64_t(start), C.int64_t(end), C.int(dtype), dev.code(), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}
