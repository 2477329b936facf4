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
