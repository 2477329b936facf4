package torch

import (
	"fmt"
	"strings"
)

// DType is an element type; its value is libtorch's c10::ScalarType code.
type DType int

// The element types the project uses.
const (
	Uint8    DType = 0
	Int32    DType = 3
	Int64    DType = 4
	Float16  DType = 5
	Float32  DType = 6
	Float64  DType = 7
	Bool     DType = 11
	BFloat16 DType = 15
)

// String is the dtype's name as PyTorch spells it.
func (d DType) String() string {
	switch d {
	case Uint8:
		return "uint8"
	case Int32:
		return "int32"
	case Int64:
		return "int64"
	case Float16:
		return "float16"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	case Bool:
		return "bool"
	case BFloat16:
		return "bfloat16"
	}
	return fmt.Sprintf("dtype(%d)", int(d))
}

// Size is the number of bytes of one element.
func (d DType) Size() int {
	switch d {
	case Uint8, Bool:
		return 1
	case Float16, BFloat16:
		return 2
	case Int32:
		return 4
	case Int64, Float64:
		return 8
	case Float32:
		return 4
	}
	return 0
}

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == Float16 || d == Float32 || d == Float64 || d == BFloat16 }

// ParseDType reads a dtype name: float32/fp32, float16/fp16/half, bfloat16/bf16, float64, int64, int32, bool, uint8.
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "float32", "fp32", "float", "f32":
		return Float32, nil
	case "float16", "fp16", "half", "f16":
		return Float16, nil
	case "bfloat16", "bf16":
		return BFloat16, nil
	case "float64", "fp64", "double", "f64":
		return Float64, nil
	case "int64", "long", "i64":
		return Int64, nil
	case "int32", "int", "i32":
		return Int32, nil
	case "bool":
		return Bool, nil
	case "uint8", "u8":
		return Uint8, nil
	}
	return 0, fmt.Errorf("unknown dtype %q (want float32, float16, bfloat16, float64, int64, int32, bool or uint8)", s)
}
