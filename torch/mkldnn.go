package torch

/*
#include "torchshim.h"
*/
import "C"

// ToMKLDNN packs a float32 (or bfloat16) CPU tensor into oneDNN's opaque layout. EncoderLayer runs a
// linear whose weight and bias are packed through oneDNN's matrix product, several times faster than
// the BLAS path on CPUs with AVX-512; packed tensors serve inference only.
func ToMKLDNN(a *Tensor) (*Tensor, error) {
	h, err := handles("to_mkldnn", a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("to_mkldnn", C.ts_to_mkldnn(h[0], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// IsMKLDNN reports whether t is in oneDNN's packed layout.
func (t *Tensor) IsMKLDNN() (bool, error) {
	h, err := handles("is_mkldnn", t)
	if err != nil {
		return false, err
	}
	var v C.int
	if err := check("is_mkldnn", C.ts_is_mkldnn(h[0], &v)); err != nil {
		return false, err
	}
	return v != 0, nil
}

// PackedLinearAvailable reports whether this build of the shim has the direct oneDNN path of PackLinear
// (it needs oneDNN's headers for the libdnnl that libtorch itself links, as Debian's libtorch does).
func PackedLinearAvailable() bool {
	var v C.int
	if err := check("packed_linear_available", C.ts_packed_linear_available(&v)); err != nil {
		return false
	}
	return v != 0
}

// PackLinear reorders a float32 CPU linear weight [out, in] once into the blocked layout of oneDNN's matrix
// product. The result still reads as the same dense weight (it shares w's storage); Linear and EncoderLayer
// run it through oneDNN's matmul primitive on the tensors' own buffers, with the bias, the activation and
// the residual addition fused, in inference (under autograd it computes through the plain path). It fails
// where PackedLinearAvailable is false.
func PackLinear(w *Tensor) (*Tensor, error) {
	h, err := handles("pack_linear", w)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("pack_linear", C.ts_pack_linear(h[0], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// IsPackedLinear reports whether t is a weight packed by PackLinear.
func (t *Tensor) IsPackedLinear() (bool, error) {
	h, err := handles("is_packed_linear", t)
	if err != nil {
		return false, err
	}
	var v C.int
	if err := check("is_packed_linear", C.ts_is_packed_linear(h[0], &v)); err != nil {
		return false, err
	}
	return v != 0, nil
}
