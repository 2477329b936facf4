package torchbin

import (
	"fmt"
	"math"
	"math/big"
)

// maxExpandedBytes bounds a tensor whose elements overlap in its storage
// (a stride of 0 from expand(), for example), which can be far larger than
// the storage it views.
const maxExpandedBytes = 64 << 20

// dtypeInfo is a safetensors dtype name and its element size in bytes.
type dtypeInfo struct {
	name string // "" for a dtype this package does not support
	size int
}

// storageDTypes maps torch.<Name>Storage to the dtype of its elements.
var storageDTypes = map[string]dtypeInfo{
	"FloatStorage":    {"F32", 4},
	"HalfStorage":     {"F16", 2},
	"BFloat16Storage": {"BF16", 2},
	"DoubleStorage":   {"F64", 8},
	"LongStorage":     {"I64", 8},
	"IntStorage":      {"I32", 4},
	"ShortStorage":    {"I16", 2},
	"CharStorage":     {"I8", 1},
	"ByteStorage":     {"U8", 1},
	"BoolStorage":     {"BOOL", 1},
	// Named so that the error says "not supported" rather than "not allowed".
	"ComplexFloatStorage":  {},
	"ComplexDoubleStorage": {},
	"QInt8Storage":         {},
	"QUInt8Storage":        {},
	"QInt32Storage":        {},
	"QUInt4x2Storage":      {},
	"QUInt2x4Storage":      {},
}

// torchDTypes maps the torch.<dtype> globals that _rebuild_tensor_v3 takes
// (PyTorch 2.x writes it for dtypes without a typed storage class).
var torchDTypes = map[string]dtypeInfo{
	"float32": {"F32", 4}, "float": {"F32", 4},
	"float16": {"F16", 2}, "half": {"F16", 2},
	"bfloat16": {"BF16", 2},
	"float64":  {"F64", 8}, "double": {"F64", 8},
	"int64": {"I64", 8}, "long": {"I64", 8},
	"int32": {"I32", 4}, "int": {"I32", 4},
	"int16": {"I16", 2}, "short": {"I16", 2},
	"int8":   {"I8", 1},
	"uint8":  {"U8", 1},
	"bool":   {"BOOL", 1},
	"uint16": {"U16", 2}, "uint32": {"U32", 4}, "uint64": {"U64", 8},
	"float8_e4m3fn": {"F8_E4M3", 1}, "float8_e5m2": {"F8_E5M2", 1},
	"complex32": {}, "complex64": {}, "complex128": {}, "cfloat": {}, "cdouble": {},
	"float8_e5m2fnuz": {}, "float8_e4m3fnuz": {}, "float8_e8m0fnu": {}, "float4_e2m1fn_x2": {},
	"bits8": {}, "bits16": {}, "bits1x8": {}, "bits2x4": {}, "bits4x2": {},
	"qint8": {}, "quint8": {}, "qint32": {}, "quint4x2": {}, "quint2x4": {},
}

// storageRef is a parsed persistent id: ('storage', type, key, location, numel[, view]).
type storageRef struct {
	key     string
	dtype   dtypeInfo // size 1 and name "U8" for an untyped storage (numel counts bytes)
	untyped bool
	numel   int64
	at      int // file offset of the BINPERSID, for messages
}

// tensorSpec is a fully checked call of a tensor rebuild function.
type tensorSpec struct {
	storage storageRef
	dtype   dtypeInfo
	offset  int64 // in elements of dtype
	shape   []int64
	stride  []int64 // in elements of dtype
}

// parseStorage checks a persistent id.
func parseStorage(v any) (storageRef, error) {
	p, ok := v.(*pyPID)
	if !ok {
		return storageRef{}, fmt.Errorf("storage argument is %s, not a persistent storage id", aType(v))
	}
	id, ok := p.id.(pyTuple)
	if !ok {
		return storageRef{}, fmt.Errorf("persistent id at offset %d is %s, not a tuple", p.at, aType(p.id))
	}
	if len(id) == 6 && id[5] != nil {
		return storageRef{}, fmt.Errorf("persistent id at offset %d is a legacy storage view, which is not supported", p.at)
	}
	if len(id) != 5 && len(id) != 6 {
		return storageRef{}, fmt.Errorf("persistent id at offset %d has %d fields, want ('storage', type, key, location, numel)", p.at, len(id))
	}
	if s, _ := asString(id[0]); s != "storage" {
		return storageRef{}, fmt.Errorf("persistent id at offset %d is of kind %s, not 'storage'", p.at, typeName(id[0]))
	}
	ref := storageRef{at: p.at}
	g, ok := id[1].(pyGlobal)
	if !ok || g.kind != kindStorage {
		return ref, fmt.Errorf("persistent id at offset %d names storage type %s", p.at, typeName(id[1]))
	}
	if g.name == "UntypedStorage" {
		ref.untyped = true
		ref.dtype = dtypeInfo{"U8", 1}
	} else {
		ref.dtype = storageDTypes[g.name]
		if ref.dtype.name == "" {
			return ref, fmt.Errorf("storage type %s is not supported", g)
		}
	}
	key, ok := asString(id[2])
	if !ok {
		return ref, fmt.Errorf("persistent id at offset %d has a storage key of type %s", p.at, typeName(id[2]))
	}
	ref.key = key
	if _, ok := asString(id[3]); !ok {
		return ref, fmt.Errorf("storage %s: location is %s, not a string", key, aType(id[3]))
	}
	n, err := asInt(id[4])
	if err != nil || n < 0 {
		return ref, fmt.Errorf("storage %s: element count %s is not a non-negative int", key, describe(id[4]))
	}
	ref.numel = n
	return ref, nil
}

// maxRebuildDepth bounds nested rebuild calls (_rebuild_parameter around
// _rebuild_tensor_v2 is two).
const maxRebuildDepth = 4

// resolveTensor checks a dict value and turns it into a tensorSpec.
func resolveTensor(v any, depth int) (tensorSpec, error) {
	c, ok := v.(*pyCall)
	if !ok {
		if d, isDict := v.(*pyDict); isDict {
			return tensorSpec{}, fmt.Errorf("value is %s, not a tensor (a training checkpoint? save model.state_dict() itself)", aType(d))
		}
		return tensorSpec{}, fmt.Errorf("value is %s, not a tensor", aType(v))
	}
	if depth > maxRebuildDepth {
		return tensorSpec{}, fmt.Errorf("tensor rebuild calls nested more than %d deep", maxRebuildDepth)
	}
	args := c.args
	wantArgs := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			return fmt.Errorf("%s (offset %d) called with %d arguments, want %d to %d", c.fn, c.at, len(args), lo, hi)
		}
		return nil
	}
	switch c.fn.name {
	case "_rebuild_parameter":
		if err := wantArgs(3, 3); err != nil {
			return tensorSpec{}, err
		}
		return resolveTensor(args[0], depth+1)
	case "_rebuild_parameter_with_state":
		if err := wantArgs(4, 4); err != nil {
			return tensorSpec{}, err
		}
		return resolveTensor(args[0], depth+1)
	case "_rebuild_from_type_v2":
		if err := wantArgs(4, 4); err != nil {
			return tensorSpec{}, err
		}
		fn, ok := args[0].(pyGlobal)
		if !ok || fn.kind != kindRebuild {
			return tensorSpec{}, fmt.Errorf("%s (offset %d) wraps %s, not a tensor rebuild function", c.fn, c.at, typeName(args[0]))
		}
		if t, ok := args[1].(pyGlobal); !ok || t.kind != kindTensorType {
			return tensorSpec{}, fmt.Errorf("%s (offset %d) makes %s, not a torch.Tensor or Parameter", c.fn, c.at, aType(args[1]))
		}
		inner, ok := args[2].(pyTuple)
		if !ok {
			return tensorSpec{}, fmt.Errorf("%s (offset %d) has %s arguments, not a tuple", c.fn, c.at, typeName(args[2]))
		}
		return resolveTensor(&pyCall{fn: fn, args: inner, at: c.at}, depth+1)
	case "_rebuild_tensor_v2", "_rebuild_tensor_v3":
	default:
		return tensorSpec{}, fmt.Errorf("%s (offset %d) is not supported", c.fn, c.at)
	}
	v3 := c.fn.name == "_rebuild_tensor_v3"
	if v3 {
		if err := wantArgs(7, 8); err != nil {
			return tensorSpec{}, err
		}
	} else if err := wantArgs(6, 7); err != nil {
		return tensorSpec{}, err
	}
	st, err := parseStorage(args[0])
	if err != nil {
		return tensorSpec{}, err
	}
	spec := tensorSpec{storage: st, dtype: st.dtype}
	if v3 {
		g, ok := args[6].(pyGlobal)
		if !ok || g.kind != kindDType {
			return spec, fmt.Errorf("%s (offset %d): dtype argument is %s", c.fn, c.at, aType(args[6]))
		}
		spec.dtype = torchDTypes[g.name]
		if spec.dtype.name == "" {
			return spec, fmt.Errorf("dtype %s is not supported", g)
		}
	} else if st.untyped {
		return spec, fmt.Errorf("%s (offset %d) on an untyped storage has no dtype", c.fn, c.at)
	}
	if spec.offset, err = asInt(args[1]); err != nil {
		return spec, fmt.Errorf("storage offset %s: %w", describe(args[1]), err)
	}
	if spec.offset < 0 {
		return spec, fmt.Errorf("negative storage offset %d", spec.offset)
	}
	if spec.shape, err = intTuple(args[2], "size"); err != nil {
		return spec, err
	}
	if spec.stride, err = intTuple(args[3], "stride"); err != nil {
		return spec, err
	}
	if len(spec.shape) != len(spec.stride) {
		return spec, fmt.Errorf("size has %d dimensions but stride has %d", len(spec.shape), len(spec.stride))
	}
	for i, d := range spec.shape {
		if d < 0 {
			return spec, fmt.Errorf("negative size %d in dimension %d of %v", d, i, spec.shape)
		}
		if spec.stride[i] < 0 {
			return spec, fmt.Errorf("negative stride %d in dimension %d of %v", spec.stride[i], i, spec.stride)
		}
	}
	return spec, nil
}

// layout is what materialize needs to know about a tensor's bytes, with
// every product checked for overflow.
type layout struct {
	numel  int64 // elements of the tensor
	nbytes int   // numel * element size
	need   int64 // bytes of storage the view reaches: (last index + 1) * element size; 0 when numel is 0
	contig bool  // the elements are one run starting at offset
}

// checkLayout validates the view against overflow.
func checkLayout(s tensorSpec) (layout, error) {
	var l layout
	es := int64(s.dtype.size)
	n := int64(1)
	for _, d := range s.shape {
		if d != 0 && n > math.MaxInt64/d {
			return l, fmt.Errorf("size %v overflows int64", s.shape)
		}
		n *= d
	}
	if n > int64(math.MaxInt)/es {
		return l, fmt.Errorf("size %v of %d-byte elements is too large", s.shape, es)
	}
	l.numel, l.nbytes = n, int(n*es)
	if n == 0 {
		return l, nil
	}
	last := s.offset
	for i, d := range s.shape {
		st := s.stride[i]
		if d > 1 && st > 0 && (st > math.MaxInt64/(d-1) || last > math.MaxInt64-st*(d-1)) {
			return l, fmt.Errorf("offset %d, size %v and stride %v overflow int64", s.offset, s.shape, s.stride)
		}
		last += st * (d - 1)
	}
	if last >= math.MaxInt64/es {
		return l, fmt.Errorf("offset %d, size %v and stride %v overflow int64", s.offset, s.shape, s.stride)
	}
	l.need = (last + 1) * es
	// Row-major when each stride is the product of the later sizes
	// (the stride of a size-1 dimension does not matter).
	l.contig = true
	want := int64(1)
	for i := len(s.shape) - 1; i >= 0; i-- {
		if s.shape[i] != 1 && s.stride[i] != want {
			l.contig = false
			break
		}
		want *= s.shape[i]
	}
	return l, nil
}

// materialize copies the view's elements out of buf (the storage bytes)
// into a new row-major buffer.
func materialize(s tensorSpec, l layout, buf []byte) []byte {
	out := make([]byte, l.nbytes)
	if l.numel == 0 {
		return out
	}
	es := int64(s.dtype.size)
	if l.contig {
		copy(out, buf[s.offset*es:])
		return out
	}
	// Fold the trailing dimensions that are already row-major into one run.
	k := len(s.shape)
	run := int64(1)
	for k > 0 && (s.shape[k-1] == 1 || s.stride[k-1] == run) {
		run *= s.shape[k-1]
		k--
	}
	idx := make([]int64, k)
	pos := s.offset
	step := int(run * es)
	for o := 0; o < len(out); o += step {
		copy(out[o:o+step], buf[pos*es:pos*es+int64(step)])
		for d := k - 1; d >= 0; d-- {
			idx[d]++
			pos += s.stride[d]
			if idx[d] < s.shape[d] {
				break
			}
			pos -= s.stride[d] * s.shape[d]
			idx[d] = 0
		}
	}
	return out
}

func asString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case pyBytes:
		return string(v), true
	}
	return "", false
}

func asInt(v any) (int64, error) {
	switch v := v.(type) {
	case int64:
		return v, nil
	case *big.Int:
		return 0, fmt.Errorf("integer %s does not fit in int64", v)
	}
	return 0, fmt.Errorf("%s, not an int", aType(v))
}

func intTuple(v any, what string) ([]int64, error) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("%s is %s, not a tuple", what, aType(v))
	}
	out := make([]int64, len(t))
	for i, e := range t {
		n, err := asInt(e)
		if err != nil {
			return nil, fmt.Errorf("%s[%d] is %w", what, i, err)
		}
		out[i] = n
	}
	return out, nil
}

// describe prints a small scalar value for a message.
func describe(v any) string {
	switch v := v.(type) {
	case int64, bool, float64, *big.Int:
		return fmt.Sprint(v)
	case string:
		return fmt.Sprintf("%q", v)
	}
	return typeName(v)
}
