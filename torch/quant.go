package torch

/*
#include "torchshim.h"
*/
import "C"

import "fmt"

// QuantizedEngine names the libtorch quantized engine that QuantizeLinear uses on this machine ("x86",
// "fbgemm", "onednn" or "qnnpack") and reports whether activations are quantized to 7 bits instead of 8
// (reduceRange: x86 CPUs without VNNI, where 8-bit products can saturate). The error says why int8
// inference is unavailable: a CPU without the instructions (AVX2 on x86) or a libtorch built without a
// quantized engine for it.
func QuantizedEngine() (name string, reduceRange bool, err error) {
	var n *C.char
	var rr C.int
	if err := check("quantized engine", C.ts_quantized_engine(&n, &rr)); err != nil {
		return "", false, err
	}
	return C.GoString(n), rr != 0, nil
}

// QuantizeLinear quantizes a float32 CPU linear weight [out, in] once for dynamic int8 inference, as
// PyTorch's default dynamic quantization does: int8, symmetric, scale max|w|/127.5, zero point 0. The rows
// split into blocks equal groups with one scale each: 1 for an ordinary linear, 3 for a fused query/key/
// value matrix (the same as quantizing the three projections separately). b (nil for none) is packed with
// the weight. The result holds the int8 weight (shape [out, in]) and the engine's packed form; it serves
// QuantizedLinear and the weight slots of EncoderLayerWeights (whose bias slot is then ignored), for
// inference only. The caller owns it.
func QuantizeLinear(w, b *Tensor, blocks int) (*Tensor, error) {
	h, err := handles("quantize_linear", w)
	if err != nil {
		return nil, err
	}
	var bh C.ts_tensor
	if b != nil {
		if bh, err = b.handle(); err != nil {
			return nil, fmt.Errorf("torch: quantize_linear: bias: %w", err)
		}
	}
	var out C.ts_tensor
	if err := check("quantize_linear", C.ts_quantize_linear(h[0], bh, C.int64_t(blocks), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// QuantizedLinear computes x W^T + b with a weight from QuantizeLinear: x (float32 [..., in]) is
// quantized per call to uint8 from its own minimum and maximum, multiplied in int32 and scaled back to
// float32 [..., out].
func QuantizedLinear(x, q *Tensor) (*Tensor, error) {
	h, err := handles("quantized_linear", x, q)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("quantized_linear", C.ts_quantized_linear(h[0], h[1], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Dequantize returns a quantized tensor (such as the int8 weight QuantizeLinear holds) as float32: each
// value is its integer times its scale.
func Dequantize(q *Tensor) (*Tensor, error) {
	h, err := handles("dequantize", q)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("dequantize", C.ts_dequantize(h[0], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// IsQuantized reports whether t holds quantized values (QuantizeLinear's result does).
func (t *Tensor) IsQuantized() (bool, error) {
	h, err := handles("is_quantized", t)
	if err != nil {
		return false, err
	}
	var v C.int
	if err := check("is_quantized", C.ts_is_quantized(h[0], &v)); err != nil {
		return false, err
	}
	return v != 0, nil
}
