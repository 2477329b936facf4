package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// build assembles a safetensors buffer by hand: the 8-byte little-endian
// header length, the header text, then the data buffer.
func build(header string, data []byte) []byte {
	out := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(out, uint64(len(header)))
	out = append(out, header...)
	return append(out, data...)
}

// withLength is build with an explicit (possibly lying) header length.
func withLength(n uint64, rest []byte) []byte {
	out := make([]byte, 8)
	binary.LittleEndian.PutUint64(out, n)
	return append(out, rest...)
}

// f32le holds 0.0, 1.0, 2.0, 3.0, 4.0, 5.0 as little-endian float32, written
// out by hand: 1.0 = 0x3F800000, 2.0 = 0x40000000, 3.0 = 0x40400000,
// 4.0 = 0x40800000, 5.0 = 0x40A00000.
var f32le = []byte{
	0, 0, 0, 0,
	0, 0, 0x80, 0x3F,
	0, 0, 0, 0x40,
	0, 0, 0x40, 0x40,
	0, 0, 0x80, 0x40,
	0, 0, 0xA0, 0x40,
}

func TestParseErrors(t *testing.T) {
	four := []byte{1, 2, 3, 4}
	tests := []struct {
		name   string
		data   []byte
		tensor string // expected FormatError.Tensor
		want   string // substring of the message
	}{
		{"shorter than 8 bytes", []byte{1, 2, 3}, "", "3 bytes, shorter than the 8-byte header length"},
		{"empty", nil, "", "0 bytes, shorter than the 8-byte"},
		{"header length beyond file", withLength(100, []byte(`{}`)), "", "header length 100 is larger than the 2 bytes"},
		{"header over 100 MB", withLength(100_000_001, []byte(`{}`)), "", "exceeds the 100000000-byte limit"},
		{"huge header length", withLength(math.MaxUint64, nil), "", "exceeds the"},
		{"not JSON", build(`{"a":`, nil), "a", "not JSON"},
		{"garbage", build(`hello!!!`, nil), "", "not JSON"},
		{"array header", build(`[1,2]`, nil), "", "not a JSON object"},
		{"string header", build(`"x"`, nil), "", "not a JSON object"},
		{"trailing data", build(`{} {}`, nil), "", "trailing data"},
		{"invalid UTF-8", build("{\"\xff\":1}", nil), "", "not valid UTF-8"},
		{"entry not object", build(`{"a":5}`, nil), "a", "must be an object"},
		{"dtype not string", build(`{"a":{"dtype":3,"shape":[1],"data_offsets":[0,4]}}`, four), "a", `field "dtype" must be a string`},
		{"dtype null", build(`{"a":{"dtype":null,"shape":[1],"data_offsets":[0,4]}}`, four), "a", `"dtype" must be a string, not null`},
		{"missing shape", build(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, four), "a", `missing field "shape"`},
		{"missing offsets", build(`{"a":{"dtype":"F32","shape":[1]}}`, four), "a", `missing field "data_offsets"`},
		{"shape not array", build(`{"a":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}`, four), "a", `"shape" must be an array`},
		{"fractional dim", build(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, four), "a", `"shape" must be an array`},
		{"three offsets", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, four), "a", "must hold 2 integers, not 3"},
		{"wrong case field", build(`{"a":{"DTYPE":"F32","shape":[1],"data_offsets":[0,4]}}`, four), "a", `missing field "dtype"`},
		{"metadata not strings", build(`{"__metadata__":{"k":1}}`, nil), "", "__metadata__ must be an object of string values"},
		{"metadata not object", build(`{"__metadata__":[]}`, nil), "", "__metadata__ must be an object"},
		{"unknown dtype", build(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, make([]byte, 16)), "a", `unknown dtype "F128"`},
		{"lower-case dtype", build(`{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, four), "a", `unknown dtype "f32"`},
		{"negative dim", build(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, four), "a", "negative dimension -1"},
		{"negative offset", build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, nil), "a", "negative data_offsets"},
		{"end before begin", build(`{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, four), "a", "end 0 is before begin 4"},
		{"outside buffer", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, four), "a", "outside the 4-byte data buffer"},
		{"length mismatch", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, four), "a", "span 4 bytes, but shape [2] of F32 needs 8"},
		{"element count overflow", build(`{"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, four), "a", "overflows the element count"},
		{"byte size overflow", build(`{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,4]}}`, four), "a", "overflows the byte size"},
		{"dim beyond int64", build(`{"a":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,4]}}`, four), "a", `"shape" must be an array`},
		{
			"overlap",
			build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}`, make([]byte, 6)),
			"b", `overlap tensor "a", which ends at 4`,
		},
		{
			"hole",
			build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)),
			"b", "leave a hole: bytes [4, 8)",
		},
		{
			"hole at start",
			build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)),
			"a", "leave a hole: bytes [0, 4)",
		},
		{
			"uncovered tail",
			build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 8)),
			"", "cover 4 bytes of the 8-byte data buffer",
		},
		{
			"data without tensors",
			build(`{}`, four),
			"", "cover 0 bytes of the 4-byte data buffer",
		},
		{
			"duplicate names",
			build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}),
			"a", "duplicate name",
		},
		{
			"duplicate metadata",
			build(`{"__metadata__":{},"__metadata__":{}}`, nil),
			"__metadata__", "duplicate name",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.data)
			require.Error(t, err)
			assert.Nil(t, f)
			assert.ErrorIs(t, err, ErrFormat)
			var fe *FormatError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.tensor, fe.Tensor)
			assert.Equal(t, "<memory>", fe.Source)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "safetensors <memory>: "), err.Error())
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Run("reference example", func(t *testing.T) {
		// One F32 tensor of shape [1,2,3] holding 0..5, as the format
		// description lays it out.
		f, err := Parse(build(`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`, f32le))
		require.NoError(t, err)
		require.Len(t, f.Tensors, 1)
		tensor, ok := f.Lookup("attn.0")
		require.True(t, ok)
		assert.Equal(t, "F32", tensor.DType)
		assert.Equal(t, []int64{1, 2, 3}, tensor.Shape)
		assert.Equal(t, int64(6), tensor.NumElements())
		vals, err := Float32s(tensor)
		require.NoError(t, err)
		assert.Equal(t, []float32{0, 1, 2, 3, 4, 5}, vals)
		assert.Empty(t, f.Metadata)
		assert.NotNil(t, f.Metadata)
		assert.Empty(t, f.Path)
		_, ok = f.Lookup("attn.1")
		assert.False(t, ok)
		assert.NoError(t, f.Close())
	})
	t.Run("empty header with padding", func(t *testing.T) {
		f, err := Parse(build("{}      ", nil))
		require.NoError(t, err)
		assert.Empty(t, f.Tensors)
	})
	t.Run("any offset order, zero-size tensors, metadata, extra fields", func(t *testing.T) {
		header := `{"z":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},` +
			`"a":{"dtype":"I16","shape":[1,1],"data_offsets":[2,4],"extra":true},` +
			`"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},` +
			`"scalar":{"dtype":"BOOL","shape":[],"data_offsets":[4,5]},` +
			`"__metadata__":{"format":"pt","note":"\u00e9"}}`
		f, err := Parse(build(header, []byte{7, 8, 0xFE, 0xFF, 1}))
		require.NoError(t, err)
		assert.Equal(t, []string{"a", "empty", "scalar", "z"}, f.Names())
		assert.Equal(t, map[string]string{"format": "pt", "note": "é"}, f.Metadata)
		z, _ := f.Lookup("z")
		assert.Equal(t, []byte{7, 8}, z.Data)
		a, _ := f.Lookup("a")
		assert.Equal(t, int16(-2), int16(binary.LittleEndian.Uint16(a.Data)))
		e, _ := f.Lookup("empty")
		assert.Empty(t, e.Data)
		assert.Equal(t, int64(0), e.NumElements())
		s, _ := f.Lookup("scalar")
		assert.Equal(t, []int64{}, s.Shape)
		assert.Equal(t, int64(1), s.NumElements())
		assert.Equal(t, []byte{1}, s.Data)
		// Views have their capacity capped, so appending cannot clobber a neighbour.
		assert.Equal(t, 2, cap(z.Data))
	})
	t.Run("null metadata", func(t *testing.T) {
		f, err := Parse(build(`{"__metadata__":null}`, nil))
		require.NoError(t, err)
		assert.Empty(t, f.Metadata)
	})
}

func TestDTypeSize(t *testing.T) {
	tests := []struct {
		dtype string
		size  int
	}{
		{"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2}, {"BF16", 2},
		{"I32", 4}, {"U32", 4}, {"F32", 4}, {"F64", 8}, {"I64", 8}, {"U64", 8}, {"C64", 8},
	}
	for _, tc := range tests {
		got, err := DTypeSize(tc.dtype)
		require.NoError(t, err, tc.dtype)
		assert.Equal(t, tc.size, got, tc.dtype)
	}
	for _, bad := range []string{"", "f32", "F4", "float32", "Q8"} {
		_, err := DTypeSize(bad)
		assert.Error(t, err, bad)
	}
}

func TestEncodeMatchesReferenceLayout(t *testing.T) {
	// Expected bytes worked out from the format rules: the header text, padded
	// with spaces to a multiple of 8, its length as 8 little-endian bytes,
	// then the data.
	tests := []struct {
		name     string
		tensors  []TensorInfo
		metadata map[string]string
		header   string
		data     []byte
	}{
		{
			name:    "no padding needed",
			tensors: []TensorInfo{{Name: "attn.0", DType: "F32", Shape: []int64{1, 2, 3}, Data: f32le}},
			// 64 characters: already a multiple of 8.
			header: `{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`,
			data:   f32le,
		},
		{
			name:    "padded to 72",
			tensors: []TensorInfo{{Name: "attn0", DType: "F32", Shape: []int64{1, 1, 2, 3}, Data: f32le}},
			// 65 characters plus 7 spaces.
			header: `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}` + "       ",
			data:   f32le,
		},
		{
			name:   "empty",
			header: "{}      ",
		},
		{
			name:     "metadata only",
			metadata: map[string]string{"framework": "pt"},
			// 35 characters plus 5 spaces.
			header: `{"__metadata__":{"framework":"pt"}}` + "     ",
		},
		{
			name:     "metadata keys sorted, no HTML escaping",
			metadata: map[string]string{"b": "<&>", "a": "x"},
			header:   `{"__metadata__":{"a":"x","b":"<&>"}}` + "    ",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(tc.tensors, tc.metadata)
			require.NoError(t, err)
			require.Zero(t, len(tc.header)%8, "test header must be padded")
			want := append([]byte{byte(len(tc.header)), 0, 0, 0, 0, 0, 0, 0}, tc.header...)
			want = append(want, tc.data...)
			assert.Equal(t, want, got)
			assert.Equal(t, string(want[8:8+len(tc.header)]), string(got[8:min(len(got), 8+len(tc.header))]))
		})
	}
}

func TestEncodeOrdersByAlignmentThenName(t *testing.T) {
	tensors := []TensorInfo{
		{Name: "a", DType: "F16", Shape: []int64{2}, Data: []byte{1, 2, 3, 4}},
		{Name: "d", DType: "U8", Shape: []int64{3}, Data: []byte{5, 6, 7}},
		{Name: "c2", DType: "F32", Shape: []int64{1}, Data: []byte{8, 9, 10, 11}},
		{Name: "c1", DType: "F32", Shape: []int64{1}, Data: []byte{12, 13, 14, 15}},
		{Name: "b", DType: "I64", Shape: []int64{1}, Data: []byte{16, 17, 18, 19, 20, 21, 22, 23}},
	}
	enc, err := Encode(tensors, nil)
	require.NoError(t, err)
	n := binary.LittleEndian.Uint64(enc)
	var hdr map[string]struct {
		Offsets [2]int `json:"data_offsets"`
	}
	require.NoError(t, json.Unmarshal(enc[8:8+n], &hdr))
	// I64 (8-byte), then F32 by name, then F16, then U8.
	assert.Equal(t, [2]int{0, 8}, hdr["b"].Offsets)
	assert.Equal(t, [2]int{8, 12}, hdr["c1"].Offsets)
	assert.Equal(t, [2]int{12, 16}, hdr["c2"].Offsets)
	assert.Equal(t, [2]int{16, 20}, hdr["a"].Offsets)
	assert.Equal(t, [2]int{20, 23}, hdr["d"].Offsets)
	assert.Equal(t, []byte{16, 17, 18, 19, 20, 21, 22, 23, 12, 13, 14, 15, 8, 9, 10, 11, 1, 2, 3, 4, 5, 6, 7}, enc[8+n:])
	// The header keys appear in buffer order.
	h := string(enc[8 : 8+n])
	assert.Less(t, strings.Index(h, `"b"`), strings.Index(h, `"c1"`))
	assert.Less(t, strings.Index(h, `"c2"`), strings.Index(h, `"a"`))
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		tensors []TensorInfo
		want    string
	}{
		{"reserved name", []TensorInfo{{Name: "__metadata__", DType: "U8", Shape: []int64{0}}}, "reserved"},
		{"duplicate", []TensorInfo{{Name: "a", DType: "U8", Shape: []int64{0}}, {Name: "a", DType: "U8", Shape: []int64{0}}}, "duplicate name"},
		{"unknown dtype", []TensorInfo{{Name: "a", DType: "X", Shape: []int64{0}}}, `unknown dtype "X"`},
		{"negative dim", []TensorInfo{{Name: "a", DType: "U8", Shape: []int64{-2}}}, "negative dimension"},
		{"short data", []TensorInfo{{Name: "a", DType: "F32", Shape: []int64{2}, Data: make([]byte, 7)}}, "has 7 bytes of data, but shape [2] of F32 needs 8"},
		{"bad UTF-8 name", []TensorInfo{{Name: "\xff", DType: "U8", Shape: []int64{0}}}, "not valid UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "out.safetensors")
			err := Write(path, tc.tensors, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), path)
			_, statErr := os.Stat(path)
			assert.True(t, errors.Is(statErr, os.ErrNotExist), "nothing is written on error")
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no temporary files are left behind")
}

func TestWriteOpenRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	// 1.0 and -2.0 in F16 (0x3C00, 0xC000) and BF16 (0x3F80, 0xC000).
	tensors := []TensorInfo{
		{Name: "w", DType: "F32", Shape: []int64{2, 3}, Data: f32le},
		{Name: "h", DType: "F16", Shape: []int64{2}, Data: []byte{0x00, 0x3C, 0x00, 0xC0}},
		{Name: "bf", DType: "BF16", Shape: []int64{2}, Data: []byte{0x80, 0x3F, 0x00, 0xC0}},
		{Name: "ids", DType: "I64", Shape: []int64{1}, Data: []byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
	}
	meta := map[string]string{"format": "pt"}
	require.NoError(t, Write(path, tensors, meta))
	// Overwriting is atomic and leaves only the target in the directory.
	require.NoError(t, Write(path, tensors, meta))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

	f, err := Open(path)
	require.NoError(t, err)
	assert.Equal(t, path, f.Path)
	assert.Equal(t, meta, f.Metadata)
	assert.Equal(t, []string{"bf", "h", "ids", "w"}, f.Names())
	want := map[string][]float32{"w": {0, 1, 2, 3, 4, 5}, "h": {1, -2}, "bf": {1, -2}}
	for name, vals := range want {
		tensor, ok := f.Lookup(name)
		require.True(t, ok, name)
		got, err := Float32s(tensor)
		require.NoError(t, err, name)
		assert.Equal(t, vals, got, name)
	}
	ids, _ := f.Lookup("ids")
	assert.Equal(t, int64(-1), int64(binary.LittleEndian.Uint64(ids.Data)))
	_, err = Float32s(ids)
	assert.ErrorContains(t, err, "cannot decode dtype I64")
	require.NoError(t, f.Close())
	require.NoError(t, f.Close(), "Close is idempotent")
	assert.Nil(t, f.Tensors[0].Data, "views are cleared on Close")
}

func TestOpenHandBuiltAndTruncated(t *testing.T) {
	dir := t.TempDir()
	full := build(`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`, f32le)
	path := filepath.Join(dir, "real.safetensors")
	require.NoError(t, os.WriteFile(path, full, 0o644))
	f, err := Open(path)
	require.NoError(t, err)
	tensor, ok := f.Lookup("attn.0")
	require.True(t, ok)
	vals, err := Float32s(tensor)
	require.NoError(t, err)
	assert.Equal(t, []float32{0, 1, 2, 3, 4, 5}, vals)
	require.NoError(t, f.Close())

	tests := []struct {
		name string
		size int
		want string
	}{
		{"last byte missing", len(full) - 1, "outside the 23-byte data buffer"},
		{"data missing", 8 + 64, "outside the 0-byte data buffer"},
		{"header cut", 20, "header length 64 is larger than the 12 bytes"},
		{"length cut", 5, "5 bytes, shorter than the 8-byte"},
		{"empty file", 0, "0 bytes, shorter than the 8-byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name+".safetensors")
			require.NoError(t, os.WriteFile(p, full[:tc.size], 0o644))
			f, err := Open(p)
			require.Error(t, err)
			assert.Nil(t, f)
			assert.ErrorIs(t, err, ErrFormat)
			assert.Contains(t, err.Error(), p)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err = Open(filepath.Join(dir, "missing.safetensors"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = Open(dir)
	assert.ErrorContains(t, err, "not a regular file")
}

func TestHalfConversions(t *testing.T) {
	// Expected float32 bits from PyTorch (Debian python3-torch):
	// torch.tensor(bits).to(torch.int16).view(torch.float16).float().
	f16 := []struct {
		in   uint16
		want uint32
	}{
		{0x0000, 0x00000000}, // 0
		{0x8000, 0x80000000}, // -0
		{0x3C00, 0x3F800000}, // 1
		{0xC000, 0xC0000000}, // -2
		{0x3555, 0x3EAAA000}, // 0.333251953125
		{0x7BFF, 0x477FE000}, // 65504, the largest half
		{0x0001, 0x33800000}, // 2^-24, the smallest subnormal
		{0x03FF, 0x387FC000}, // the largest subnormal
		{0x0400, 0x38800000}, // 2^-14, the smallest normal
		{0x7C00, 0x7F800000}, // +inf
		{0xFC00, 0xFF800000}, // -inf
		{0x3E00, 0x3FC00000}, // 1.5
		{0xBC01, 0xBF802000}, // -1.0009765625
		{0x5640, 0x42C80000}, // 100
	}
	for _, tc := range f16 {
		assert.Equal(t, tc.want, math.Float32bits(F16ToFloat32(tc.in)), "f16 %#04x", tc.in)
	}
	assert.True(t, math.IsNaN(float64(F16ToFloat32(0x7E00))))
	assert.True(t, math.IsNaN(float64(F16ToFloat32(0xFC01))))

	bf16 := []struct {
		in   uint16
		want uint32
	}{
		{0x3F80, 0x3F800000}, // 1
		{0xC000, 0xC0000000}, // -2
		{0x4049, 0x40490000}, // 3.140625
		{0x0001, 0x00010000}, // subnormal
		{0x7F80, 0x7F800000}, // +inf
		{0xFF80, 0xFF800000}, // -inf
		{0xBE20, 0xBE200000}, // -0.15625
		{0x8000, 0x80000000}, // -0
	}
	for _, tc := range bf16 {
		assert.Equal(t, tc.want, math.Float32bits(BF16ToFloat32(tc.in)), "bf16 %#04x", tc.in)
	}
	assert.Equal(t, float32(1), F16ToFloat32(0x3C00))
	assert.Equal(t, float32(-2), F16ToFloat32(0xC000))
	assert.Equal(t, float32(1), BF16ToFloat32(0x3F80))
}

func TestFloat32s(t *testing.T) {
	// 0.5 as F64 is 0x3FE0000000000000.
	f64 := TensorInfo{Name: "d", DType: "F64", Shape: []int64{1}, Data: []byte{0, 0, 0, 0, 0, 0, 0xE0, 0x3F}}
	got, err := Float32s(f64)
	require.NoError(t, err)
	assert.Equal(t, []float32{0.5}, got)

	_, err = Float32s(TensorInfo{Name: "x", DType: "F32", Shape: []int64{2}, Data: make([]byte, 4)})
	assert.ErrorContains(t, err, `tensor "x": 1 elements of data do not match shape [2]`)
	_, err = Float32s(TensorInfo{Name: "x", DType: "F32", Shape: []int64{1}, Data: make([]byte, 5)})
	assert.ErrorContains(t, err, "not a whole number")
	_, err = Float32s(TensorInfo{Name: "x", DType: "Q", Shape: []int64{1}})
	assert.ErrorContains(t, err, `unknown dtype "Q"`)

	ti, err := FromFloat32s("w", []int64{2, 3}, []float32{0, 1, 2, 3, 4, 5})
	require.NoError(t, err)
	assert.Equal(t, f32le, ti.Data)
	_, err = FromFloat32s("w", []int64{2, 2}, []float32{0, 1, 2})
	assert.ErrorContains(t, err, "3 values do not match shape [2 2]")
}

func FuzzParse(f *testing.F) {
	f.Add(build(`{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}`, f32le))
	f.Add(build("{}      ", nil))
	f.Add(build(`{"__metadata__":{"a":"b"},"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"y":{"dtype":"U8","shape":[0],"data_offsets":[4,4]}}`, []byte{1, 2, 3, 4}))
	f.Add(build(`{"z":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2, 3, 4}))
	f.Add(build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}`, make([]byte, 6)))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Parse error is not ErrFormat: %v", err)
			}
			return
		}
		enc, err := Encode(file.Tensors, file.Metadata)
		if err != nil {
			t.Fatalf("Encode of a parsed file failed: %v", err)
		}
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("Parse of Encode output failed: %v", err)
		}
		assert.Equal(t, file.Metadata, again.Metadata)
		require.Equal(t, len(file.Tensors), len(again.Tensors))
		for i := range file.Tensors {
			a, b := file.Tensors[i], again.Tensors[i]
			assert.Equal(t, a.Name, b.Name)
			assert.Equal(t, a.DType, b.DType)
			assert.Equal(t, a.Shape, b.Shape)
			assert.Equal(t, a.Data, b.Data)
		}
		if (8+binary.LittleEndian.Uint64(enc))%8 != 0 {
			t.Fatalf("encoded header length %d is not a multiple of 8", binary.LittleEndian.Uint64(enc))
		}
	})
}
