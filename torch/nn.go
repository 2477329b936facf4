package torch

/*
#include "torchshim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Linear returns x W^T + b; b may be nil.
func Linear(x, w, b *Tensor) (*Tensor, error) {
	return linearCall("linear", x, w, b, func(x, w, b C.ts_tensor, out *C.ts_tensor) C.ts_error {
		return C.ts_linear(x, w, b, out)
	})
}

// OneDNNLinear returns x W^T + b like Linear for float32 CPU tensors, with the product (and, under
// autograd, both gradient products) computed by oneDNN instead of BLAS: same values up to the order of
// float sums, several times faster where libtorch's BLAS is slow. b may be nil. It fails where
// MKLDNNAvailable is false.
func OneDNNLinear(x, w, b *Tensor) (*Tensor, error) {
	return linearCall("onednn_linear", x, w, b, func(x, w, b C.ts_tensor, out *C.ts_tensor) C.ts_error {
		return C.ts_onednn_linear(x, w, b, out)
	})
}

// linearCall resolves the handles of a linear layer's operands (b may be nil) and calls the shim.
func linearCall(name string, x, w, b *Tensor, call func(x, w, b C.ts_tensor, out *C.ts_tensor) C.ts_error) (*Tensor, error) {
	h, err := handles(name, x, w)
	if err != nil {
		return nil, err
	}
	var bh C.ts_tensor
	if b != nil {
		if bh, err = b.handle(); err != nil {
			return nil, fmt.Errorf("torch: %s: bias: %w", name, err)
		}
	}
	var out C.ts_tensor
	if err := check(name, call(h[0], h[1], bh, &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Embedding looks up rows of weight by integer ids; an id outside the table is an error.
func Embedding(weight, ids *Tensor) (*Tensor, error) {
	h, err := handles("embedding", weight, ids)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("embedding", C.ts_embedding(h[0], h[1], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// LayerNorm normalises the last dimension and applies the affine weight and bias.
func LayerNorm(x, w, b *Tensor, eps float64) (*Tensor, error) {
	h, err := handles("layer_norm", x, w, b)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("layer_norm", C.ts_layer_norm(h[0], h[1], h[2], C.double(eps), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

func softmax(name string, x *Tensor, dim int64, log bool) (*Tensor, error) {
	h, err := handles(name, x)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check(name, C.ts_softmax(h[0], C.int64_t(dim), cbool(log), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Softmax returns exp(x)/sum(exp(x)) along dim.
func Softmax(x *Tensor, dim int64) (*Tensor, error) { return softmax("softmax", x, dim, false) }

// LogSoftmax returns log(softmax(x)) along dim, computed stably.
func LogSoftmax(x *Tensor, dim int64) (*Tensor, error) { return softmax("log_softmax", x, dim, true) }

// Dropout zeroes each element with probability p and scales the rest by 1/(1-p) when train is true;
// otherwise it returns x unchanged (as a new handle).
func Dropout(x *Tensor, p float64, train bool) (*Tensor, error) {
	h, err := handles("dropout", x)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("dropout", C.ts_dropout(h[0], C.double(p), cbool(train), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Normalize divides by the p-norm along dim, clamped below at eps (torch.nn.functional.normalize).
func Normalize(x *Tensor, p float64, dim int64, eps float64) (*Tensor, error) {
	h, err := handles("normalize", x)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("normalize", C.ts_normalize(h[0], C.double(p), C.int64_t(dim), C.double(eps), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// CosineSimilarity is the cosine of a and b along dim (shapes broadcast), with norms clamped at eps.
func CosineSimilarity(a, b *Tensor, dim int64, eps float64) (*Tensor, error) {
	h, err := handles("cosine_similarity", a, b)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("cosine_similarity", C.ts_cosine_similarity(h[0], h[1], C.int64_t(dim), C.double(eps), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// CrossEntropy is the mean negative log-likelihood of int64 targets [N] under softmax(logits [N, C]).
func CrossEntropy(logits, targets *Tensor) (*Tensor, error) {
	h, err := handles("cross_entropy", logits, targets)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("cross_entropy", C.ts_cross_entropy(h[0], h[1], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// MSELoss is the mean of (a-b)^2 over all elements; shapes must be equal.
func MSELoss(a, b *Tensor) (*Tensor, error) {
	h, err := handles("mse_loss", a, b)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check("mse_loss", C.ts_mse_loss(h[0], h[1], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

// Activation selects the feed-forward non-linearity of an encoder layer.
type Activation int

// The activations encoder layers use.
const (
	ActGELU     Activation = 0 // exact GELU (erf form), BERT's "gelu"
	ActGELUTanh Activation = 1 // tanh approximation, "gelu_new" / "gelu_pytorch_tanh"
	ActReLU     Activation = 2
)

// EncoderLayerWeights are the 12 tensors of one post-LayerNorm transformer layer; Q, K and V are fused
// into one [3H, H] matrix (rows: query, then key, then value).
type EncoderLayerWeights struct {
	QKVWeight, QKVBias, OutWeight, OutBias       *Tensor
	AttnNormWeight, AttnNormBias                 *Tensor
	InterWeight, InterBias, OutputWeight         *Tensor
	OutputBias, OutputNormWeight, OutputNormBias *Tensor
}

// Tensors lists the weights in the shim's order.
func (w *EncoderLayerWeights) Tensors() []*Tensor {
	return []*Tensor{w.QKVWeight, w.QKVBias, w.OutWeight, w.OutBias, w.AttnNormWeight, w.AttnNormBias,
		w.InterWeight, w.InterBias, w.OutputWeight, w.OutputBias, w.OutputNormWeight, w.OutputNormBias}
}

// EncoderLayerOptions configure one EncoderLayer call.
type EncoderLayerOptions struct {
	Heads      int
	Eps        float64
	Activation Activation
	Dropout    float64 // applied to attention probabilities and both residual branches when Train
	Train      bool
	// OneDNN runs the linears of a float32 CPU forward on unpacked weights through oneDNN, under
	// autograd in backward too, as OneDNNLinear does (training); ignored elsewhere and where libtorch
	// has no oneDNN.
	OneDNN bool
}

// EncoderLayer runs one post-LayerNorm transformer layer (BERT, RoBERTa, DistilBERT, MPNet) in a single
// native call: x [B, S, H]; maskBias [B, 1, 1, S] is added to the attention scores (0 for tokens, a large
// negative number for padding); posBias (may be nil) is added too, e.g. MPNet's relative position bias.
func EncoderLayer(x, maskBias, posBias *Tensor, w *EncoderLayerWeights, opt EncoderLayerOptions) (*Tensor, error) {
	h, err := handles("encoder_layer", x, maskBias)
	if err != nil {
		return nil, err
	}
	var ph C.ts_tensor
	if posBias != nil {
		if ph, err = posBias.handle(); err != nil {
			return nil, fmt.Errorf("torch: encoder_layer: position bias: %w", err)
		}
	}
	ws, err := handles("encoder_layer weights", w.Tensors()...)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	err = check("encoder_layer", C.ts_encoder_layer(h[0], h[1], ph, (*C.ts_tensor)(unsafe.Pointer(&ws[0])),
		C.int64_t(opt.Heads), C.double(opt.Eps), C.int(opt.Activation), C.double(opt.Dropout), cbool(opt.Train), cbool(opt.OneDNN), &out))
	if err != nil {
		return nil, err
	}
	return wrap(out), nil
}
