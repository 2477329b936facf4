package torch

// Elementwise, comparison and reduction ops. The integer op codes must match
// the switch statements in torch/csrc/ops.cpp.

/*
#include "torchshim.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

func unaryOp(code int, name string, a *Tensor) (*Tensor, error) {
	h, err := handles(name, a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check(name, C.ts_unary(C.int(code), h[0], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

func binaryOp(code int, name string, a, b *Tensor) (*Tensor, error) {
	h, err := handles(name, a, b)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check(name, C.ts_binary(C.int(code), h[0], h[1], &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

func scalarOp(code int, name string, a *Tensor, s float64) (*Tensor, error) {
	h, err := handles(name, a)
	if err != nil {
		return nil, err
	}
	var out C.ts_tensor
	if err := check(name, C.ts_scalar(C.int(code), h[0], C.double(s), &out)); err != nil {
		return nil, err
	}
	return wrap(out), nil
}

func reduceOp(code int, name string, a *Tensor, keepdim bool, dims []int64) (*Tensor, error) {
	h, err := handles(name, a)
	if err != nil {
		return nil, err
	}
	var dp *C.int64_t
	if len(dims) > 0 {
		dp = (*C.int64_t)(unsafe.Pointer(&dims[0]))
	}
	var out C.ts_tensor
	err = check(name, C.ts_reduce(C.int(code), h[0], dp, C.int(len(dims)), cbool(keepdim), &out))
	runtime.KeepAlive(dims)
	if err != nil {
		return nil, err
	}
	return wrap(out), nil
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Neg returns -a.
func Neg(a *Tensor) (*Tensor, error) { return unaryOp(0, "neg", a) }

// Exp returns e^a.
func Exp(a *Tensor) (*Tensor, error) { return unaryOp(1, "exp", a) }

// Log returns the natural logarithm.
func Log(a *Tensor) (*Tensor, error) { return unaryOp(2, "log", a) }

// Sqrt returns the square root.
func Sqrt(a *Tensor) (*Tensor, error) { return unaryOp(3, "sqrt", a) }

// Rsqrt returns 1/sqrt(a).
func Rsqrt(a *Tensor) (*Tensor, error) { return unaryOp(4, "rsqrt", a) }

// Abs returns |a|.
func Abs(a *Tensor) (*Tensor, error) { return unaryOp(5, "abs", a) }

// Tanh returns tanh(a).
func Tanh(a *Tensor) (*Tensor, error) { return unaryOp(6, "tanh", a) }

// Sigmoid returns 1/(1+e^-a).
func Sigmoid(a *Tensor) (*Tensor, error) { return unaryOp(7, "sigmoid", a) }

// Relu returns max(a, 0).
func Relu(a *Tensor) (*Tensor, error) { return unaryOp(8, "relu", a) }

// Gelu returns GELU, the exact (erf) form.
func Gelu(a *Tensor) (*Tensor, error) { return unaryOp(9, "gelu", a) }

// GeluTanh returns GELU, the tanh approximation.
func GeluTanh(a *Tensor) (*Tensor, error) { return unaryOp(10, "geluTanh", a) }

// Log1p returns log(1+a).
func Log1p(a *Tensor) (*Tensor, error) { return unaryOp(11, "log1p", a) }

// Softplus returns log(1+e^a).
func Softplus(a *Tensor) (*Tensor, error) { return unaryOp(12, "softplus", a) }

// IsFinite returns a bool tensor, true where a is neither infinite nor NaN.
func IsFinite(a *Tensor) (*Tensor, error) { return unaryOp(13, "isFinite", a) }

// LogicalNot returns the logical negation of a bool tensor.
func LogicalNot(a *Tensor) (*Tensor, error) { return unaryOp(14, "logicalNot", a) }

// Contiguous returns a contiguous copy (or a itself, as a new handle, when already contiguous).
func Contiguous(a *Tensor) (*Tensor, error) { return unaryOp(15, "contiguous", a) }

// Clone returns a copy that owns its storage.
func Clone(a *Tensor) (*Tensor, error) { return unaryOp(16, "clone", a) }

// Sign returns the sign (-1, 0, 1).
func Sign(a *Tensor) (*Tensor, error) { return unaryOp(17, "sign", a) }

// Erf returns the error function.
func Erf(a *Tensor) (*Tensor, error) { return unaryOp(18, "erf", a) }

// Square returns a*a.
func Square(a *Tensor) (*Tensor, error) { return unaryOp(19, "square", a) }

// Add returns a+b.
func Add(a, b *Tensor) (*Tensor, error) { return binaryOp(0, "add", a, b) }

// Sub returns a-b.
func Sub(a, b *Tensor) (*Tensor, error) { return binaryOp(1, "sub", a, b) }

// Mul returns a*b (elementwise).
func Mul(a, b *Tensor) (*Tensor, error) { return binaryOp(2, "mul", a, b) }

// Div returns a/b.
func Div(a, b *Tensor) (*Tensor, error) { return binaryOp(3, "div", a, b) }

// Pow returns a^b.
func Pow(a, b *Tensor) (*Tensor, error) { return binaryOp(4, "pow", a, b) }

// Maximum returns the elementwise maximum.
func Maximum(a, b *Tensor) (*Tensor, error) { return binaryOp(5, "maximum", a, b) }

// Minimum returns the elementwise minimum.
func Minimum(a, b *Tensor) (*Tensor, error) { return binaryOp(6, "minimum", a, b) }

// Eq returns a==b as bool.
func Eq(a, b *Tensor) (*Tensor, error) { return binaryOp(7, "eq", a, b) }

// Ne returns a!=b as bool.
func Ne(a, b *Tensor) (*Tensor, error) { return binaryOp(8, "ne", a, b) }

// Lt returns a<b as bool.
func Lt(a, b *Tensor) (*Tensor, error) { return binaryOp(9, "lt", a, b) }

// Le returns a<=b as bool.
func Le(a, b *Tensor) (*Tensor, error) { return binaryOp(10, "le", a, b) }

// Gt returns a>b as bool.
func Gt(a, b *Tensor) (*Tensor, error) { return binaryOp(11, "gt", a, b) }

// Ge returns a>=b as bool.
func Ge(a, b *Tensor) (*Tensor, error) { return binaryOp(12, "ge", a, b) }

// LogicalAnd returns a AND b.
func LogicalAnd(a, b *Tensor) (*Tensor, error) { return binaryOp(13, "logicalAnd", a, b) }

// LogicalOr returns a OR b.
func LogicalOr(a, b *Tensor) (*Tensor, error) { return binaryOp(14, "logicalOr", a, b) }

// Matmul returns the matrix product, batched and broadcast as torch.matmul.
func Matmul(a, b *Tensor) (*Tensor, error) { return binaryOp(15, "matmul", a, b) }

// AddScalar returns a+s.
func AddScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(0, "addScalar", a, s) }

// SubScalar returns a-s.
func SubScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(1, "subScalar", a, s) }

// MulScalar returns a*s.
func MulScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(2, "mulScalar", a, s) }

// DivScalar returns a/s.
func DivScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(3, "divScalar", a, s) }

// PowScalar returns a^s.
func PowScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(4, "powScalar", a, s) }

// RsubScalar returns s-a.
func RsubScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(5, "rsubScalar", a, s) }

// EqScalar returns a==s as bool.
func EqScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(6, "eqScalar", a, s) }

// NeScalar returns a!=s as bool.
func NeScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(7, "neScalar", a, s) }

// LtScalar returns a<s as bool.
func LtScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(8, "ltScalar", a, s) }

// LeScalar returns a<=s as bool.
func LeScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(9, "leScalar", a, s) }

// GtScalar returns a>s as bool.
func GtScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(10, "gtScalar", a, s) }

// GeScalar returns a>=s as bool.
func GeScalar(a *Tensor, s float64) (*Tensor, error) { return scalarOp(11, "geScalar", a, s) }

// ClampMin returns max(a, s).
func ClampMin(a *Tensor, s float64) (*Tensor, error) { return scalarOp(12, "clampMin", a, s) }

// ClampMax returns min(a, s).
func ClampMax(a *Tensor, s float64) (*Tensor, error) { return scalarOp(13, "clampMax", a, s) }

// Sum returns the sum over dims (all of them when none are given).
func Sum(a *Tensor, keepdim bool, dims ...int64) (*Tensor, error) {
	return reduceOp(0, "sum", a, keepdim, dims)
}

// Mean returns the mean over dims (all of them when none are given).
func Mean(a *Tensor, keepdim bool, dims ...int64) (*Tensor, error) {
	return reduceOp(1, "mean", a, keepdim, dims)
}

// Amax returns the maximum over dims (all of them when none are given).
func Amax(a *Tensor, keepdim bool, dims ...int64) (*Tensor, error) {
	return reduceOp(2, "amax", a, keepdim, dims)
}

// Amin returns the minimum over dims (all of them when none are given).
func Amin(a *Tensor, keepdim bool, dims ...int64) (*Tensor, error) {
	return reduceOp(3, "amin", a, keepdim, dims)
}

// LogSumExp returns log(sum(exp(a))) over dims (all of them when none are given).
func LogSumExp(a *Tensor, keepdim bool, dims ...int64) (*Tensor, error) {
	return reduceOp(4, "logSumExp", a, keepdim, dims)
}

// All returns whether every element is true (one dim at a time) over dims (all of them when none are given).
func All(a *Tensor, keepdim bool, dims ...int64) (*Tensor, error) {
	return reduceOp(5, "all", a, keepdim, dims)
}

// Any returns whether some element is true (one dim at a time) over dims (all of them when none are given).
func Any(a *Tensor, keepdim bool, dims ...int64) (*Tensor, error) {
	return reduceOp(6, "any", a, keepdim, dims)
}
