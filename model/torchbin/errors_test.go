package torchbin

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandBuiltTensors(t *testing.T) {
	permuted := make([]float32, 24) // storage 0..23 viewed as (4, 2, 3) with stride (1, 12, 4)
	for i := range 4 {
		for j := range 2 {
			for k := range 3 {
				permuted[i*6+j*3+k] = float32(i*1 + j*12 + k*4)
			}
		}
	}
	bigEndian := make([]byte, 8)
	binary.BigEndian.PutUint32(bigEndian, math.Float32bits(1.5))
	binary.BigEndian.PutUint32(bigEndian[4:], math.Float32bits(-3))
	u16 := []byte{0x01, 0x00, 0xff, 0xff, 0x34, 0x12}

	cases := []struct {
		name  string
		data  []byte
		dtype string
		shape []int64
		want  []byte
	}{
		{
			name:  "permuted 3-d view",
			data:  archive(t, stateDict(kv("p", v2(pid("FloatStorage", "0", 24), 0, ints(4, 2, 3), ints(1, 12, 4)))), zipEntry{"0", iota32(24)}),
			dtype: "F32", shape: []int64{4, 2, 3}, want: f32s(permuted...),
		},
		{
			name:  "offset and step",
			data:  archive(t, stateDict(kv("p", v2(pid("FloatStorage", "0", 10), 1, ints(3), ints(3)))), zipEntry{"0", iota32(10)}),
			dtype: "F32", shape: []int64{3}, want: f32s(1, 4, 7),
		},
		{
			name: "plain dict with SETITEM",
			data: archive(t, cat(proto2, []byte{'}'}, str("x"), v2(pid("FloatStorage", "0", 2), 0, ints(2), ints(1)), []byte{'s'}, stop),
				zipEntry{"0", f32s(5, 6)}),
			dtype: "F32", shape: []int64{2}, want: f32s(5, 6),
		},
		{
			name: "big-endian byteorder record",
			data: makeZip(t, zip.Store,
				zipEntry{"a/data.pkl", stateDict(kv("b", v2(pid("FloatStorage", "0", 2), 0, ints(2), ints(1))))},
				zipEntry{"a/byteorder", []byte("big")},
				zipEntry{"a/data/0", bigEndian}),
			dtype: "F32", shape: []int64{2}, want: f32s(1.5, -3),
		},
		{
			name: "rebuild_tensor_v3 with UntypedStorage and torch.uint16 (PyTorch 2.x)",
			data: archive(t, stateDict(kv("u", cat(glob("torch._utils", "_rebuild_tensor_v3"),
				tup(cat(tup(str("storage"), glob("torch.storage", "UntypedStorage"), str("0"), str("cpu"), num(6)), []byte{'Q'}),
					num(0), ints(3), ints(1), newFalse, emptyOrderedDict(), glob("torch", "uint16")), reduce))),
				zipEntry{"0", u16}),
			dtype: "U16", shape: []int64{3}, want: u16,
		},
		{
			name: "_rebuild_from_type_v2 around v2 (a tensor with Python attributes)",
			data: archive(t, stateDict(kv("r", cat(glob("torch._tensor", "_rebuild_from_type_v2"),
				tup(glob("torch._utils", "_rebuild_tensor_v2"), glob("torch", "Tensor"),
					tup(pid("HalfStorage", "0", 2), num(1), ints(), ints(), newFalse, emptyOrderedDict()),
					[]byte{'}'}), reduce))),
				zipEntry{"0", []byte{0x00, 0x3c, 0x00, 0xc0}}),
			dtype: "F16", shape: []int64{}, want: []byte{0x00, 0xc0},
		},
		{
			name: "_rebuild_parameter with a BUILD state",
			data: archive(t, stateDict(kv("q", cat(glob("torch._utils", "_rebuild_parameter"),
				tup(v2(pid("LongStorage", "0", 1), 0, ints(1), ints(1)), []byte{0x88}, emptyOrderedDict()), reduce,
				[]byte{'}'}, []byte{'b'}))),
				zipEntry{"0", []byte{7, 0, 0, 0, 0, 0, 0, 0x80}}),
			dtype: "I64", shape: []int64{1}, want: []byte{7, 0, 0, 0, 0, 0, 0, 0x80},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, err := ReadBytes(c.data, "case.bin")
			require.NoError(t, err)
			require.Len(t, ts, 1)
			assert.Equal(t, c.dtype, ts[0].DType)
			assert.Equal(t, c.shape, ts[0].Shape)
			assert.Equal(t, c.want, ts[0].Data)
		})
	}
}

func TestErrors(t *testing.T) {
	goodPkl, good := oneTensor(t)
	legacy, err := os.ReadFile(filepath.Join("testdata", "legacy.bin"))
	require.NoError(t, err)
	module, err := os.ReadFile(filepath.Join("testdata", "module.bin"))
	require.NoError(t, err)

	one := func(value []byte, storages ...zipEntry) []byte {
		return archive(t, stateDict(kv("w", value)), storages...)
	}
	f32 := func(numel int64, offset int64, size, stride []byte) []byte {
		return v2(pid("FloatStorage", "0", numel), offset, size, stride)
	}
	four := zipEntry{"0", f32s(1, 2, 3, 4)}
	badCRC := bytes.Clone(good)
	i := bytes.Index(badCRC, f32s(1, 2, 3, 4))
	require.Positive(t, i)
	badCRC[i] ^= 1
	tar := make([]byte, 1024)
	copy(tar[257:], "ustar")
	longSize := cat([]byte{0x8a, 9}, bytes.Repeat([]byte{0xff}, 8), []byte{0x01}) // LONG1 2^65 - 1

	cases := []struct {
		name   string
		data   []byte
		want   []string
		tensor string
	}{
		// Neither zip nor pickle.
		{"empty", nil, []string{"file is empty"}, ""},
		{"text", []byte("hello world"), []string{"not a zip archive or a torch.save pickle"}, ""},
		{"tar", tar, []string{"tar-based torch.save format"}, ""},
		{"truncated zip", module[:len(module)/2], []string{"not a readable zip archive"}, ""},
		{"empty zip", makeZip(t, zip.Store), []string{"zip archive is empty"}, ""},
		{"entry outside a folder", makeZip(t, zip.Store, zipEntry{"data.pkl", goodPkl}), []string{`"data.pkl" is not inside a folder`}, ""},
		{"no data.pkl", makeZip(t, zip.Store, zipEntry{"a/other", []byte("x")}), []string{"no a/data.pkl"}, ""},
		{"bad byteorder", makeZip(t, zip.Store, zipEntry{"a/data.pkl", goodPkl}, zipEntry{"a/byteorder", []byte("middle")}), []string{`"middle", not little or big`}, ""},
		{"corrupt storage bytes", badCRC, []string{"storage 0", "checksum"}, "w"},

		// The pickle machine.
		{"truncated pickle", archive(t, goodPkl[:len(goodPkl)/2], four), []string{"archive/data.pkl offset", "truncated pickle"}, ""},
		{"no STOP", archive(t, cat(proto2, []byte{'N'})), []string{"no STOP opcode"}, ""},
		{"unknown opcode", archive(t, cat(proto2, []byte{0xff}, stop)), []string{"offset 2: unknown pickle opcode 0xff"}, ""},
		{"unsupported opcode", archive(t, cat(proto2, []byte("i"), stop)), []string{"offset 2: unsupported pickle opcode INST"}, ""},
		{"protocol 6", archive(t, cat([]byte{0x80, 6}, stop)), []string{"unsupported pickle protocol 6"}, ""},
		{"missing memo entry", archive(t, cat(proto2, []byte{'h', 7}, stop)), []string{"BINGET of memo entry 7, which does not exist"}, ""},
		{"missing long memo entry", archive(t, cat(proto2, []byte{'j', 0, 1, 0, 0}, stop)), []string{"LONG_BINGET of memo entry 256"}, ""},
		{"underflow in REDUCE", archive(t, cat(proto2, reduce, stop)), []string{"stack underflow in REDUCE"}, ""},
		{"underflow in TUPLE2", archive(t, cat(proto2, []byte{'N', 0x86}, stop)), []string{"stack underflow in TUPLE2"}, ""},
		{"underflow at STOP", archive(t, cat(proto2, stop)), []string{"stack underflow in STOP"}, ""},
		{"SETITEMS without MARK", archive(t, cat(proto2, []byte{'}', 'u'}, stop)), []string{"SETITEMS without a MARK"}, ""},
		{"STOP with an open MARK", archive(t, cat(proto2, []byte{'N'}, mark, stop)), []string{"STOP with an open MARK"}, ""},
		{"odd SETITEMS", archive(t, cat(proto2, []byte{'}'}, mark, str("k"), []byte{'u'}, stop)), []string{"odd number (1)"}, ""},
		{"SETITEM on a list", archive(t, cat(proto2, []byte{']'}, str("k"), []byte{'N', 's'}, stop)), []string{"SETITEM on list, not a dict"}, ""},
		{"APPEND on a dict", archive(t, cat(proto2, []byte{'}', 'N', 'a'}, stop)), []string{"APPEND on dict, not a list"}, ""},
		{"BUILD on a list", archive(t, cat(proto2, []byte{']', '}', 'b'}, stop)), []string{"BUILD on list"}, ""},
		{"tuple dict key", archive(t, cat(proto2, []byte{'}'}, ints(1), []byte{'N', 's'}, stop)), []string{"dict key of type tuple"}, ""},
		{"bad UTF-8", archive(t, cat(proto2, []byte{'X', 1, 0, 0, 0, 0xff}, stop)), []string{"BINUNICODE is not valid UTF-8"}, ""},
		{"string longer than the pickle", archive(t, cat(proto2, []byte{'X', 0xff, 0xff, 0xff, 0x7f, 'a'}, stop)), []string{"truncated pickle: BINUNICODE of 2147483647 bytes"}, ""},
		{"huge LONG4", archive(t, cat(proto2, []byte{0x8b, 0, 1, 0, 0}, bytes.Repeat([]byte{1}, 256), stop)), []string{"LONG4 integer of 256 bytes is too large"}, ""},
		{"REDUCE of a storage type", archive(t, cat(proto2, glob("torch", "FloatStorage"), []byte{')'}, reduce, stop)), []string{"REDUCE calls torch.FloatStorage, which is not callable here"}, ""},
		{"OrderedDict with arguments", archive(t, cat(proto2, glob("collections", "OrderedDict"), ints(1), reduce, stop)), []string{"only an empty one"}, ""},

		// The allow-list.
		{"GLOBAL os.system", archive(t, cat(proto2, glob("os", "system"), str("echo"), []byte{0x85}, reduce, stop)), []string{"pickle global not allowed: os.system"}, ""},
		{"STACK_GLOBAL os.system", archive(t, cat([]byte{0x80, 4, 0x8c, 2}, []byte("os"), []byte{0x8c, 6}, []byte("system"), []byte{0x93}, stop)), []string{"pickle global not allowed: os.system"}, ""},
		{"builtins.eval", archive(t, cat(proto2, glob("builtins", "eval"), stop)), []string{"pickle global not allowed: builtins.eval"}, ""},
		{"torch.load is not a storage", archive(t, cat(proto2, glob("torch", "load"), stop)), []string{"pickle global not allowed: torch.load"}, ""},

		// The state dict.
		{"top level is a list", archive(t, cat(proto2, []byte{']'}, stop)), []string{"the pickle holds a list, not a dict of tensors"}, ""},
		{"int key", archive(t, cat(proto2, []byte{'}'}, num(1), f32(4, 0, ints(4), ints(1)), []byte{'s'}, stop), four), []string{"state dict key 1 is not a string"}, ""},
		{"int value", one(num(3)), []string{"value is an int, not a tensor"}, "w"},
		{"nested dict value", one([]byte{'}'}), []string{"value is a dict, not a tensor", "checkpoint"}, "w"},

		// Storages and views.
		{"storage missing", one(f32(4, 0, ints(4), ints(1))), []string{"storage 0 is missing from the archive (no entry archive/data/0)"}, "w"},
		{"storage size disagrees with numel", one(f32(4, 0, ints(3), ints(1)), zipEntry{"0", f32s(1, 2, 3)}), []string{"holds 12 bytes, but the pickle declares 4 elements of 4 bytes"}, "w"},
		{"storage too short for the view", one(f32(4, 0, ints(3, 2), ints(2, 1)), four), []string{"storage 0 holds 16 bytes (4 elements), but offset 0, size [3 2] and stride [2 1] reach byte 24"}, "w"},
		{"offset past the end", one(f32(4, 4, ints(1), ints(1)), four), []string{"reach byte 20"}, "w"},
		{"negative size", one(f32(4, 0, ints(2, -1), ints(1, 1)), four), []string{"negative size -1 in dimension 1"}, "w"},
		{"negative stride", one(f32(4, 3, ints(2), ints(-1)), four), []string{"negative stride -1"}, "w"},
		{"negative offset", one(f32(4, -1, ints(1), ints(1)), four), []string{"negative storage offset -1"}, "w"},
		{"size and stride ranks differ", one(f32(4, 0, ints(2, 2), ints(1)), four), []string{"size has 2 dimensions but stride has 1"}, "w"},
		{"size overflows int64", one(f32(4, 0, ints(1<<40, 1<<40), ints(0, 0)), four), []string{"size [1099511627776 1099511627776] overflows int64"}, "w"},
		{"size too large for memory", one(f32(4, 0, ints(1<<61), ints(0)), four), []string{"of 4-byte elements is too large"}, "w"},
		{"stride overflows", one(f32(4, 0, ints(3), ints(1<<62)), four), []string{"overflow int64"}, "w"},
		{"size beyond int64", one(f32(4, 0, tup(longSize), ints(1)), four), []string{"size[0] is integer", "does not fit in int64"}, "w"},
		{"numel too large", one(f32(1<<62, 0, ints(1), ints(1)), four), []string{"storage 0 of 4611686018427387904 elements is too large"}, "w"},
		{"stride-0 expansion too large", one(f32(1, 0, ints(1<<25), ints(0)), zipEntry{"0", f32s(1)}), []string{"expands 4 storage bytes to 134217728"}, "w"},
		{"too many views of one storage", archive(t, stateDict(
			kv("a", f32(1, 0, ints(15<<20), ints(0))),
			kv("b", f32(1, 0, ints(15<<20), ints(0)))), zipEntry{"0", f32s(1)}),
			[]string{"too many views of the same data"}, "b"},
		{"one storage, two dtypes", archive(t, stateDict(
			kv("a", f32(2, 0, ints(2), ints(1))),
			kv("b", v2(pid("LongStorage", "0", 1), 0, ints(1), ints(1)))), zipEntry{"0", f32s(1, 2)}),
			[]string{"storage 0 is used as 2 F32 and as 1 I64"}, "b"},
		{"complex storage", one(v2(pid("ComplexFloatStorage", "0", 1), 0, ints(1), ints(1))), []string{"storage type torch.ComplexFloatStorage is not supported"}, "w"},
		{"unsupported v3 dtype", one(cat(glob("torch._utils", "_rebuild_tensor_v3"),
			tup(pid("ByteStorage", "0", 2), num(0), ints(1), ints(1), newFalse, emptyOrderedDict(), glob("torch", "complex32")), reduce)),
			[]string{"dtype torch.complex32 is not supported"}, "w"},
		{"v2 with too few arguments", one(cat(glob("torch._utils", "_rebuild_tensor_v2"), tup(pid("FloatStorage", "0", 4), num(0)), reduce)),
			[]string{"torch._utils._rebuild_tensor_v2 (offset", "called with 2 arguments, want 6 to 7"}, "w"},
		{"storage is not a persistent id", one(cat(glob("torch._utils", "_rebuild_tensor_v2"), tup(num(0), num(0), ints(1), ints(1), newFalse, emptyOrderedDict()), reduce)),
			[]string{"storage argument is an int"}, "w"},
		{"legacy storage view in a pid", one(v2(cat(tup(str("storage"), glob("torch", "FloatStorage"), str("0"), str("cpu"), num(4), ints(1, 2, 3)), []byte{'Q'}), 0, ints(1), ints(1)), four),
			[]string{"legacy storage view"}, "w"},
		{"from_type_v2 into a storage type", one(cat(glob("torch._tensor", "_rebuild_from_type_v2"),
			tup(glob("torch._utils", "_rebuild_tensor_v2"), glob("torch", "FloatStorage"),
				tup(pid("FloatStorage", "0", 4), num(0), ints(4), ints(1), newFalse, emptyOrderedDict()), []byte{'}'}), reduce), four),
			[]string{"makes a torch.FloatStorage, not a torch.Tensor or Parameter"}, "w"},

		// The legacy layout.
		{"pickle that is not torch.save", cat(proto2, num(5), stop), []string{"the first pickle is 5, not the legacy magic number"}, ""},
		{"legacy protocol", cat(legacy[:15], proto2, []byte{'M', 0xe8, 0x03}, stop), []string{"legacy torch.save protocol 1000, want 1001"}, ""},
		{"legacy truncated storage", legacy[:len(legacy)-10], []string{"truncated file"}, ""},
		{"legacy truncated pickle", legacy[:400], []string{"pickle offset", "truncated pickle"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts, err := ReadBytes(c.data, "case.bin")
			require.Error(t, err, "got %d tensors", len(ts))
			assert.Nil(t, ts)
			assert.ErrorIs(t, err, ErrFormat)
			msg := err.Error()
			assert.Contains(t, msg, "torchbin case.bin: ")
			for _, w := range c.want {
				assert.Contains(t, msg, w)
			}
			var fe *FormatError
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, "case.bin", fe.Source)
			assert.Equal(t, c.tensor, fe.Tensor)
			if c.tensor != "" {
				assert.Contains(t, msg, `tensor "`+c.tensor+`"`)
			}
		})
	}
}

// TestReadErrorsNameThePath checks that Read puts the path in its messages,
// for truncated copies of real fixtures and for I/O failures.
func TestReadErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		fixture string
		keep    func(n int) int
		want    string
	}{
		{"module.bin", func(n int) int { return n / 2 }, "not a readable zip archive"},
		{"module.bin", func(n int) int { return n - 30 }, "not a readable zip archive"},
		{"legacy.bin", func(n int) int { return n - 1 }, "truncated file"},
		{"legacy.bin", func(n int) int { return 20 }, "truncated pickle"},
		{"legacy.bin", func(n int) int { return 0 }, "file is empty"},
	}
	for _, c := range cases {
		src, err := os.ReadFile(filepath.Join("testdata", c.fixture))
		require.NoError(t, err)
		path := filepath.Join(dir, "cut-"+c.fixture)
		require.NoError(t, os.WriteFile(path, src[:c.keep(len(src))], 0o644))
		_, err = Read(path)
		require.Error(t, err, c.fixture)
		assert.ErrorIs(t, err, ErrFormat)
		assert.Contains(t, err.Error(), path)
		assert.Contains(t, err.Error(), c.want)
	}

	missing := filepath.Join(dir, "missing.bin")
	_, err := Read(missing)
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NotErrorIs(t, err, ErrFormat)
	assert.Contains(t, err.Error(), missing)

	_, err = Read(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), dir)
}

func TestReadBytesDefaultName(t *testing.T) {
	_, err := ReadBytes([]byte("nope"), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "torchbin <memory>: ")
}
