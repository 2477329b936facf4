package torch

/*
#include "torchshim.h"
*/
import "C"

import (
	"fmt"
	"strconv"
	"strings"
)

// Device is where a tensor lives: CPU (the zero value), or a CUDA device by index.
type Device int

// CPU is the host.
const CPU Device = 0

// CUDA returns the CUDA device with the given index.
func CUDA(index int) Device { return Device(index + 1) }

// IsCUDA reports whether d is a CUDA device.
func (d Device) IsCUDA() bool { return d > 0 }

// Index is the CUDA device index, or -1 for the CPU.
func (d Device) Index() int { return int(d) - 1 }

// code is the shim's encoding: -1 for the CPU, n for cuda:n.
func (d Device) code() C.int { return C.int(d.Index()) }

func deviceFromCode(c C.int) Device { return Device(int(c) + 1) }

// String is the device as PyTorch spells it: "cpu" or "cuda:N".
func (d Device) String() string {
	if !d.IsCUDA() {
		return "cpu"
	}
	return "cuda:" + strconv.Itoa(d.Index())
}

// ParseDevice reads "cpu", "cuda", "cuda:N" or "auto" (the first CUDA device when one is available, else
// the CPU). A CUDA device that does not exist is an error that says why.
func ParseDevice(s string) (Device, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	switch {
	case name == "cpu":
		return CPU, nil
	case name == "auto" || name == "":
		if CUDAAvailable() {
			return CUDA(0), nil
		}
		return CPU, nil
	case name == "cuda" || strings.HasPrefix(name, "cuda:"):
		idx := 0
		if rest, ok := strings.CutPrefix(name, "cuda:"); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 0 {
				return CPU, fmt.Errorf("device %q: bad CUDA index %q", s, rest)
			}
			idx = n
		}
		if !CUDACompiled() {
			return CPU, fmt.Errorf("device %q: this build's libtorch has no CUDA (rebuild the shim against a CUDA libtorch, see README)", s)
		}
		count := CUDADeviceCount()
		if count == 0 {
			return CPU, fmt.Errorf("device %q: no CUDA device is visible", s)
		}
		if idx >= count {
			return CPU, fmt.Errorf("device %q: only %d CUDA device(s) visible", s, count)
		}
		return CUDA(idx), nil
	}
	return CPU, fmt.Errorf("unknown device %q (want cpu, cuda, cuda:N or auto)", s)
}

// CUDAAvailable reports whether libtorch can use a CUDA device.
func CUDAAvailable() bool {
	var v C.int
	if err := check("cuda_is_available", C.ts_cuda_is_available(&v)); err != nil {
		return false
	}
	return v != 0
}

// CUDADeviceCount is the number of visible CUDA devices (0 without CUDA).
func CUDADeviceCount() int {
	var v C.int
	if err := check("cuda_device_count", C.ts_cuda_device_count(&v)); err != nil {
		return 0
	}
	return int(v)
}

// CUDASynchronize waits for all work queued on a CUDA device.
func CUDASynchronize(d Device) error {
	if !d.IsCUDA() {
		return nil
	}
	return check("cuda_synchronize", C.ts_cuda_synchronize(d.code()))
}

// CUDAMemoryAllocated is the number of bytes held by live tensors on a CUDA device (the caching
// allocator's own figure, not nvidia-smi's).
func CUDAMemoryAllocated(d Device) (int64, error) {
	if !d.IsCUDA() {
		return 0, fmt.Errorf("torch: memory in use: %s is not a CUDA device", d)
	}
	var v C.int64_t
	if err := check("cuda_memory_allocated", C.ts_cuda_memory_allocated(d.code(), &v)); err != nil {
		return 0, err
	}
	return int64(v), nil
}

// CUDAEmptyCache returns cached, unused CUDA memory to the driver.
func CUDAEmptyCache() error { return check("cuda_empty_cache", C.ts_cuda_empty_cache()) }
