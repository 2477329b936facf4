// Package safetensors reads and writes the Hugging Face safetensors format.
//
// A file is an 8-byte little-endian header length N, then N bytes of JSON
// header, then the data buffer. The header is an object that maps each tensor
// name to {"dtype", "shape", "data_offsets": [begin, end]}, with offsets
// relative to the start of the data buffer, plus an optional "__metadata__"
// object of string to string. The tensors must cover the data buffer exactly,
// with neither holes nor overlaps. Data is little-endian, row-major.
package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header accepted, in bytes (the reference
// implementation's limit).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key that holds the free-form metadata.
const metadataKey = "__metadata__"

// memorySource names an in-memory buffer in error messages.
const memorySource = "<memory>"

// ErrFormat is matched (with errors.Is) by every error that reports malformed
// safetensors content, as opposed to an I/O failure.
var ErrFormat = errors.New("invalid safetensors data")

// FormatError describes malformed safetensors content.
type FormatError struct {
	Source string // file path, or "<memory>" for Parse
	Tensor string // tensor name, empty when the problem is not about one tensor
	Msg    string
}

// Error formats the error with its source and, when set, the tensor name.
func (e *FormatError) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("safetensors %s: tensor %q: %s", e.Source, e.Tensor, e.Msg)
	}
	return fmt.Sprintf("safetensors %s: %s", e.Source, e.Msg)
}

// Is reports whether target is ErrFormat.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

// TensorInfo is one tensor: its name, element type, shape and raw bytes.
type TensorInfo struct {
	Name  string
	DType string // "F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL", ...
	Shape []int64
	Data  []byte // little-endian, row-major; a view into the file bytes for Open and Parse
}

// NumElements returns the product of the shape (1 for a scalar). It saturates
// at math.MaxInt64 rather than overflowing.
func (t TensorInfo) NumElements() int64 {
	n, ok := numElements(t.Shape)
	if !ok {
		return math.MaxInt64
	}
	return int64(n)
}

// File is a parsed safetensors file.
type File struct {
	Path     string            // the path given to Open; empty for Parse
	Metadata map[string]string // the "__metadata__" entries; never nil
	Tensors  []TensorInfo      // sorted by name

	mu    sync.Mutex
	mmap  []byte // the mapping to release on Close; nil when not mapped
	unmap func([]byte) error
}

// DTypeSize returns the size in bytes of one element of dtype.
func DTypeSize(dtype string) (int, error) {
	size, _, ok := dtypeInfo(dtype)
	if !ok {
		return 0, fmt.Errorf("safetensors: unknown dtype %q", dtype)
	}
	return size, nil
}

// dtypeInfo returns the element size of a dtype and its rank in the reference
// implementation's dtype order (increasing alignment), which the writer uses
// to lay out tensors by decreasing alignment. Sub-byte types (F4, F6_*) are
// not supported.
func dtypeInfo(dtype string) (size, rank int, ok bool) {
	switch dtype {
	case "BOOL":
		return 1, 0, true
	case "U8":
		return 1, 4, true
	case "I8":
		return 1, 5, true
	case "F8_E5M2":
		return 1, 6, true
	case "F8_E4M3":
		return 1, 7, true
	case "F8_E8M0":
		return 1, 8, true
	case "F8_E4M3FNUZ":
		return 1, 9, true
	case "F8_E5M2FNUZ":
		return 1, 10, true
	case "I16":
		return 2, 11, true
	case "U16":
		return 2, 12, true
	case "F16":
		return 2, 13, true
	case "BF16":
		return 2, 14, true
	case "I32":
		return 4, 15, true
	case "U32":
		return 4, 16, true
	case "F32":
		return 4, 17, true
	case "C64":
		return 8, 18, true
	case "F64":
		return 8, 19, true
	case "I64":
		return 8, 20, true
	case "U64":
		return 8, 21, true
	}
	return 0, 0, false
}

// numElements multiplies the dims, reporting false on a negative dim or on
// overflow of int64.
func numElements(shape []int64) (uint64, bool) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		n = lo
	}
	return n, true
}

// byteLen returns product(shape) * size(dtype), or a message saying why it
// cannot be computed.
func byteLen(dtype string, shape []int64) (uint64, string) {
	size, _, ok := dtypeInfo(dtype)
	if !ok {
		return 0, fmt.Sprintf("unknown dtype %q", dtype)
	}
	for i, d := range shape {
		if d < 0 {
			return 0, fmt.Sprintf("negative dimension %d at index %d of shape %v", d, i, shape)
		}
	}
	n, ok := numElements(shape)
	if !ok {
		return 0, fmt.Sprintf("shape %v overflows the element count", shape)
	}
	hi, lo := bits.Mul64(n, uint64(size))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, fmt.Sprintf("shape %v with dtype %s overflows the byte size", shape, dtype)
	}
	return lo, ""
}

// Parse validates an in-memory safetensors file. The returned tensors' Data
// are views into data, not copies.
func Parse(data []byte) (*File, error) {
	return parse(data, memorySource)
}

// rawEntry is one tensor entry as decoded from the header, before validation.
type rawEntry struct {
	name       string
	dtype      string
	shape      []int64
	begin, end int64
}

func parse(data []byte, src string) (*File, error) {
	ferr := func(tensor, format string, args ...any) error {
		return &FormatError{Source: src, Tensor: tensor, Msg: fmt.Sprintf(format, args...)}
	}
	if len(data) < 8 {
		return nil, ferr("", "file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data[:8])
	if n > MaxHeaderSize {
		return nil, ferr("", "header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, ferr("", "header length %d is larger than the %d bytes that follow it", n, len(data)-8)
	}
	header := data[8 : 8+n]
	buf := data[8+n:]

	metadata, entries, err := decodeHeader(header, src)
	if err != nil {
		return nil, err
	}

	bufLen := uint64(len(buf))
	for _, e := range entries {
		if e.begin < 0 || e.end < 0 {
			return nil, ferr(e.name, "negative data_offsets [%d, %d]", e.begin, e.end)
		}
		if e.end < e.begin {
			return nil, ferr(e.name, "data_offsets end %d is before begin %d", e.end, e.begin)
		}
		if uint64(e.end) > bufLen {
			return nil, ferr(e.name, "data_offsets [%d, %d] lie outside the %d-byte data buffer", e.begin, e.end, bufLen)
		}
		want, msg := byteLen(e.dtype, e.shape)
		if msg != "" {
			return nil, ferr(e.name, "%s", msg)
		}
		if got := uint64(e.end - e.begin); got != want {
			return nil, ferr(e.name, "data_offsets [%d, %d] span %d bytes, but shape %v of %s needs %d",
				e.begin, e.end, got, e.shape, e.dtype, want)
		}
	}

	// The tensors must tile the data buffer: sorted by offsets, each begins
	// where the previous one ended, and the last ends at the end of the file.
	byOffset := slices.Clone(entries)
	slices.SortFunc(byOffset, func(a, b rawEntry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), strings.Compare(a.name, b.name))
	})
	var pos int64
	prev := ""
	for _, e := range byOffset {
		switch {
		case e.begin > pos:
			return nil, ferr(e.name, "data_offsets [%d, %d] leave a hole: bytes [%d, %d) belong to no tensor", e.begin, e.end, pos, e.begin)
		case e.begin < pos:
			return nil, ferr(e.name, "data_offsets [%d, %d] overlap tensor %q, which ends at %d", e.begin, e.end, prev, pos)
		}
		pos = e.end
		prev = e.name
	}
	if uint64(pos) != bufLen {
		return nil, ferr("", "the tensors cover %d bytes of the %d-byte data buffer; the rest belongs to no tensor", pos, bufLen)
	}

	f := &File{Metadata: metadata, Tensors: make([]TensorInfo, 0, len(entries))}
	if src != memorySource {
		f.Path = src
	}
	for _, e := range entries {
		f.Tensors = append(f.Tensors, TensorInfo{
			Name:  e.name,
			DType: e.dtype,
			Shape: e.shape,
			Data:  buf[e.begin:e.end:e.end],
		})
	}
	slices.SortFunc(f.Tensors, func(a, b TensorInfo) int { return strings.Compare(a.Name, b.Name) })
	return f, nil
}

// decodeHeader decodes the JSON header into the metadata and the tensor
// entries, rejecting duplicate names and fields of the wrong type.
func decodeHeader(header []byte, src string) (map[string]string, []rawEntry, error) {
	ferr := func(tensor, format string, args ...any) error {
		return &FormatError{Source: src, Tensor: tensor, Msg: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(header) {
		return nil, nil, ferr("", "header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(header))
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, ferr("", "header is not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, ferr("", "header is not a JSON object (starts with %v)", tok)
	}
	metadata := map[string]string{}
	var entries []rawEntry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, ferr("", "header is not JSON: %v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, ferr("", "header is not JSON: unexpected %v", tok)
		}
		if seen[name] {
			return nil, nil, ferr(name, "duplicate name in header")
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, ferr(name, "header is not JSON: %v", err)
		}
		if name == metadataKey {
			if isNull(raw) {
				continue
			}
			var m map[string]string
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, nil, ferr("", "__metadata__ must be an object of string values: %v", err)
			}
			maps.Copy(metadata, m)
			continue
		}
		e, err := decodeEntry(name, raw)
		if err != nil {
			return nil, nil, ferr(name, "%v", err)
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, ferr("", "header is not JSON: %v", err)
	}
	rest := header[dec.InputOffset():]
	if len(bytes.Trim(rest, " \t\r\n")) != 0 {
		return nil, nil, ferr("", "header has trailing data after the JSON object")
	}
	return metadata, entries, nil
}

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// decodeEntry decodes one tensor entry. Field names match exactly; unknown
// fields are ignored, as the reference reader does.
func decodeEntry(name string, raw json.RawMessage) (rawEntry, error) {
	e := rawEntry{name: name}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return e, fmt.Errorf("entry must be an object with dtype, shape and data_offsets")
	}
	get := func(key string, dst any, what string) error {
		v, ok := fields[key]
		if !ok {
			return fmt.Errorf("missing field %q", key)
		}
		if isNull(v) {
			return fmt.Errorf("field %q must be %s, not null", key, what)
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return fmt.Errorf("field %q must be %s: %v", key, what, err)
		}
		return nil
	}
	if err := get("dtype", &e.dtype, "a string"); err != nil {
		return e, err
	}
	if _, _, ok := dtypeInfo(e.dtype); !ok {
		return e, fmt.Errorf("unknown dtype %q", e.dtype)
	}
	if err := get("shape", &e.shape, "an array of integers"); err != nil {
		return e, err
	}
	if e.shape == nil {
		e.shape = []int64{}
	}
	for i, d := range e.shape {
		if d < 0 {
			return e, fmt.Errorf("negative dimension %d at index %d of shape %v", d, i, e.shape)
		}
	}
	var offsets []int64
	if err := get("data_offsets", &offsets, "an array of two integers"); err != nil {
		return e, err
	}
	if len(offsets) != 2 {
		return e, fmt.Errorf("field \"data_offsets\" must hold 2 integers, not %d", len(offsets))
	}
	e.begin, e.end = offsets[0], offsets[1]
	return e, nil
}

// Lookup returns the tensor with the given name.
func (f *File) Lookup(name string) (TensorInfo, bool) {
	i := sort.Search(len(f.Tensors), func(i int) bool { return f.Tensors[i].Name >= name })
	if i < len(f.Tensors) && f.Tensors[i].Name == name {
		return f.Tensors[i], true
	}
	return TensorInfo{}, false
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, len(f.Tensors))
	for i, t := range f.Tensors {
		names[i] = t.Name
	}
	return names
}

// Close releases the memory mapping made by Open. It is idempotent and a
// no-op for a File from Parse. The tensors' Data views must not be used
// afterwards: this File's copies are cleared, but copies the caller made of a
// TensorInfo would point at unmapped memory.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mmap == nil {
		return nil
	}
	for i := range f.Tensors {
		f.Tensors[i].Data = nil
	}
	m := f.mmap
	f.mmap = nil
	if err := f.unmap(m); err != nil {
		return fmt.Errorf("safetensors %s: unmap: %w", f.Path, err)
	}
	return nil
}

// Float32s decodes an F32, F16, BF16 or F64 tensor into float32 values. It is
// meant for tests and small tensors: it allocates a new slice.
func Float32s(t TensorInfo) ([]float32, error) {
	size, _, ok := dtypeInfo(t.DType)
	if !ok {
		return nil, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	if len(t.Data)%size != 0 {
		return nil, fmt.Errorf("safetensors: tensor %q: %d bytes is not a whole number of %s elements", t.Name, len(t.Data), t.DType)
	}
	n := len(t.Data) / size
	if want, ok := numElements(t.Shape); !ok || want != uint64(n) {
		return nil, fmt.Errorf("safetensors: tensor %q: %d elements of data do not match shape %v", t.Name, n, t.Shape)
	}
	out := make([]float32, n)
	d := t.Data
	switch t.DType {
	case "F32":
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
	case "F64":
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(d[8*i:])))
		}
	case "F16":
		for i := range out {
			out[i] = F16ToFloat32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case "BF16":
		for i := range out {
			out[i] = BF16ToFloat32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	default:
		return nil, fmt.Errorf("safetensors: tensor %q: cannot decode dtype %s as float32", t.Name, t.DType)
	}
	return out, nil
}

// F16ToFloat32 converts IEEE 754 half-precision bits to a float32 (exactly:
// every half value is representable).
func F16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: mant * 2^-24
		v := float32(math.Ldexp(float64(mant), -24))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f: // infinity or NaN, keeping the payload
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// BF16ToFloat32 converts bfloat16 bits to a float32 (the top half of a float32).
func BF16ToFloat32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}

// FromFloat32s builds an F32 tensor from values, checking them against shape.
func FromFloat32s(name string, shape []int64, values []float32) (TensorInfo, error) {
	n, ok := numElements(shape)
	if !ok || n != uint64(len(values)) {
		return TensorInfo{}, fmt.Errorf("safetensors: tensor %q: %d values do not match shape %v", name, len(values), shape)
	}
	data := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return TensorInfo{Name: name, DType: "F32", Shape: slices.Clone(shape), Data: data}, nil
}
