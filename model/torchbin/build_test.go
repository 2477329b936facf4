package torchbin

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Hand-built pickles and archives, opcode by opcode, so that each test can
// break exactly one thing.

type zipEntry struct {
	name string
	data []byte
}

func makeZip(t testing.TB, method uint16, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		require.NoError(t, err)
		_, err = w.Write(e.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// archive wraps a data.pkl and its storages as torch.save lays them out.
func archive(t testing.TB, pkl []byte, storages ...zipEntry) []byte {
	t.Helper()
	entries := []zipEntry{{"archive/data.pkl", pkl}}
	for _, s := range storages {
		entries = append(entries, zipEntry{"archive/data/" + s.name, s.data})
	}
	entries = append(entries, zipEntry{"archive/version", []byte("3\n")})
	return makeZip(t, zip.Store, entries...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	proto2   = []byte{0x80, 2}
	stop     = []byte{'.'}
	mark     = []byte{'('}
	newFalse = []byte{0x89}
	reduce   = []byte{'R'}
)

// str is BINUNICODE.
func str(s string) []byte {
	b := []byte{'X', 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[1:], uint32(len(s)))
	return append(b, s...)
}

// num is the smallest int opcode that holds n, as Python's pickler picks it.
func num(n int64) []byte {
	switch {
	case n >= 0 && n < 256:
		return []byte{'K', byte(n)}
	case n >= math.MinInt32 && n <= math.MaxInt32:
		b := []byte{'J', 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(b[1:], uint32(int32(n)))
		return b
	}
	b := []byte{0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint64(b[2:], uint64(n))
	return b
}

func glob(module, name string) []byte { return []byte("c" + module + "\n" + name + "\n") }

func tup(items ...[]byte) []byte { return cat(mark, cat(items...), []byte{'t'}) }

func ints(v ...int64) []byte {
	parts := make([][]byte, len(v))
	for i, n := range v {
		parts[i] = num(n)
	}
	return tup(parts...)
}

func emptyOrderedDict() []byte { return cat(glob("collections", "OrderedDict"), []byte{')'}, reduce) }

// pid is BINPERSID of ('storage', torch.<typ>, key, 'cpu', numel).
func pid(typ, key string, numel int64) []byte {
	return cat(tup(str("storage"), glob("torch", typ), str(key), str("cpu"), num(numel)), []byte{'Q'})
}

// v2 is _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).
func v2(storage []byte, offset int64, size, stride []byte) []byte {
	return cat(glob("torch._utils", "_rebuild_tensor_v2"),
		tup(storage, num(offset), size, stride, newFalse, emptyOrderedDict()), reduce)
}

// stateDict is OrderedDict() filled by SETITEMS with key/value pairs.
func stateDict(pairs ...[]byte) []byte {
	return cat(proto2, emptyOrderedDict(), mark, cat(pairs...), []byte{'u'}, stop)
}

func kv(key string, value []byte) []byte { return cat(str(key), value) }

func f32s(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// iota32 is the float32 storage 0, 1, ..., n-1.
func iota32(n int) []byte {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return f32s(v...)
}

// oneTensor is a valid archive with one F32 tensor "w" of shape (2, 2).
func oneTensor(t testing.TB) (pkl []byte, zipped []byte) {
	pkl = stateDict(kv("w", v2(pid("FloatStorage", "0", 4), 0, ints(2, 2), ints(2, 1))))
	return pkl, archive(t, pkl, zipEntry{"0", f32s(1, 2, 3, 4)})
}
