package torch

/*
#include "torchshim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// SetRequiresGrad marks a leaf tensor as a parameter whose gradient backward computes.
func (t *Tensor) SetRequiresGrad(requires bool) error {
	h, err := handles("set_requires_grad", t)
	if err != nil {
		return err
	}
	return check("set_requires_grad", C.ts_set_requires_grad(h[0], cbool(requires)))
}

// RequiresGrad reports whether autograd tracks t.
func (t *Tensor) RequiresGrad() (bool, error) {
	h, err := handles("requires_grad", t)
	if err != nil {
		return false, err
	}
	var v C.int
	if err := check("requires_grad", C.ts_requires_grad(h[0], &v)); err != nil {
		return false, err
	}
	return v != 0, nil
}

// Backward computes the gradients of a scalar t with respect to every leaf that requires grad,
// accumulating them into the leaves' Grad.
func (t *Tensor) Backward() error {
	h, err := handles("backward", t)
	if err != nil {
		return err
	}
	return check("backward", C.ts_backward(h[0]))
}

// Grad returns the accumulated gradient (a new handle), or nil when there is none yet.
func (t *Tensor) Grad() (*Tensor, error) {
	h, err := handles("grad", t)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("grad", C.ts_grad(h[0], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// ZeroGrad drops the accumulated gradient (as PyTorch's zero_grad(set_to_none=True)).
func (t *Tensor) ZeroGrad() error {
	h, err := handles("zero_grad", t)
	if err != nil {
		return err
	}
	return check("zero_grad", C.ts_zero_grad(h[0]))
}

// Detach returns a tensor on the same storage that autograd does not track.
func Detach(a *Tensor) (*Tensor, error) {
	h, err := handles("detach", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("detach", C.ts_detach(h[0], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// CopyFrom overwrites t's values with src's (same shape; dtype and device are converted), without
// recording autograd history. Used to load weights and restore optimizer state.
func (t *Tensor) CopyFrom(src *Tensor) error {
	h, err := handles("copy", t, src)
	if err != nil {
		return err
	}
	return check("copy", C.ts_copy_(h[0], h[1]))
}

// Grad mode and inference mode are per OS thread in libtorch. The helpers below pin the calling goroutine
// to its thread for the whole region, so the mode holds for every op the region runs and never reaches
// another goroutine. Work the region hands to other goroutines does not inherit the mode.

func setGrad(enabled bool) (bool, error) {
	var prev C.int
	if err := check("set_grad_enabled", C.ts_set_grad_enabled(cbool(enabled), &prev)); err != nil {
		return false, err
	}
	return prev != 0, nil
}

func withGradMode(enabled bool, fn func() error) (err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	prev, err := setGrad(enabled)
	if err != nil {
		return err
	}
	defer func() {
		if _, rerr := setGrad(prev); rerr != nil && err == nil {
			err = rerr
		}
	}()
	return fn()
}

// NoGrad runs fn with autograd recording off (torch.no_grad), then restores the previous mode.
func NoGrad(fn func() error) error { return withGradMode(false, fn) }

// EnableGrad runs fn with autograd recording on, whatever the surrounding mode.
func EnableGrad(fn func() error) error { return withGradMode(true, fn) }

// GradEnabled reports the grad mode of the calling goroutine's thread. Outside NoGrad regions it is true.
func GradEnabled() bool {
	var v C.int
	if err := check("is_grad_enabled", C.ts_is_grad_enabled(&v)); err != nil {
		return false
	}
	return v != 0
}

// InferenceMode runs fn under torch.inference_mode: no autograd and no version counting, the fastest
// mode for pure inference. Tensors made inside can never be used by autograd later: use NoGrad for
// evaluation inside a training run.
func InferenceMode(fn func() error) (err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var guard unsafe.Pointer
	if err := check("inference_mode", C.ts_enter_inference_mode(&guard)); err != nil {
		return err
	}
	defer func() {
		if rerr := check("inference_mode exit", C.ts_exit_inference_mode(guard)); rerr != nil && err == nil {
			err = rerr
		}
	}()
	return fn()
}

// InInferenceMode reports whether the calling goroutine's thread is in inference mode.
func InInferenceMode() bool {
	var v C.int
	if err := check("is_inference_mode", C.ts_is_inference_mode(&v)); err != nil {
		return false
	}
	return v != 0
}

// ClipGradNorm scales the gradients of params so that their joint L2 norm is at most maxNorm, and
// returns the norm before clipping (torch.nn.utils.clip_grad_norm_).
func ClipGradNorm(params []*Tensor, maxNorm float64) (float64, error) {
	if len(params) == 0 {
		return 0, nil
	}
	hs, err := handles("clip_grad_norm", params...)
	if err != nil {
		return 0, err
	}
	var total C.double
	if err := check("clip_grad_norm", C.ts_clip_grad_norm(&hs[0], C.int(len(hs)), C.double(maxNorm), &total)); err != nil {
		return 0, err
	}
	return float64(total), nil
}
