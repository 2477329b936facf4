package torchbin

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expectedTensor is one entry of testdata/expected.json, written by
// scripts/make_torchbin_fixtures.py from the original torch tensors.
type expectedTensor struct {
	DType  string          `json:"dtype"`
	Shape  []int64         `json:"shape"`
	Values json.RawMessage `json:"values"` // tensor.tolist()
	Hex    string          `json:"hex"`    // the contiguous little-endian bytes
}

func loadExpected(t *testing.T) map[string]map[string]expectedTensor {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	require.NoError(t, err)
	var exp map[string]map[string]expectedTensor
	require.NoError(t, json.Unmarshal(raw, &exp))
	return exp
}

// flatten turns a nested tolist() value into its leaves, in row-major order.
func flatten(t *testing.T, raw json.RawMessage) []any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	var out []any
	var walk func(any)
	walk = func(v any) {
		if l, ok := v.([]any); ok {
			for _, e := range l {
				walk(e)
			}
			return
		}
		out = append(out, v)
	}
	walk(v)
	return out
}

// halfToFloat decodes an IEEE 754 binary16 value (written here, for the
// test, independently of the package, which never decodes values).
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * frac / 1024 * math.Pow(2, -14)
	case 31:
		if frac == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	}
	return sign * (1 + frac/1024) * math.Pow(2, float64(exp-15))
}

// decodeValues reads the elements of data as dtype, as float64 for floats,
// int64 / uint64 for integers and bool for BOOL.
func decodeValues(t *testing.T, dtype string, data []byte) []any {
	t.Helper()
	var out []any
	le := binary.LittleEndian
	switch dtype {
	case "F32":
		for i := 0; i < len(data); i += 4 {
			out = append(out, float64(math.Float32frombits(le.Uint32(data[i:]))))
		}
	case "F64":
		for i := 0; i < len(data); i += 8 {
			out = append(out, math.Float64frombits(le.Uint64(data[i:])))
		}
	case "F16":
		for i := 0; i < len(data); i += 2 {
			out = append(out, halfToFloat(le.Uint16(data[i:])))
		}
	case "BF16":
		for i := 0; i < len(data); i += 2 {
			out = append(out, float64(math.Float32frombits(uint32(le.Uint16(data[i:]))<<16)))
		}
	case "I64":
		for i := 0; i < len(data); i += 8 {
			out = append(out, int64(le.Uint64(data[i:])))
		}
	case "I32":
		for i := 0; i < len(data); i += 4 {
			out = append(out, int64(int32(le.Uint32(data[i:]))))
		}
	case "I16":
		for i := 0; i < len(data); i += 2 {
			out = append(out, int64(int16(le.Uint16(data[i:]))))
		}
	case "I8":
		for _, b := range data {
			out = append(out, int64(int8(b)))
		}
	case "U8":
		for _, b := range data {
			out = append(out, int64(b))
		}
	case "U16":
		for i := 0; i < len(data); i += 2 {
			out = append(out, int64(le.Uint16(data[i:])))
		}
	case "BOOL":
		for _, b := range data {
			out = append(out, b != 0)
		}
	default:
		t.Fatalf("no decoder for dtype %s", dtype)
	}
	return out
}

// assertValues compares decoded elements with tolist() leaves exactly.
func assertValues(t *testing.T, name string, got []any, want []any) {
	t.Helper()
	require.Len(t, got, len(want), name)
	for i := range want {
		switch w := want[i].(type) {
		case json.Number:
			switch g := got[i].(type) {
			case float64:
				f, err := strconv.ParseFloat(w.String(), 64)
				require.NoError(t, err)
				assert.Equal(t, f, g, "%s[%d]", name, i)
			case int64:
				n, err := strconv.ParseInt(w.String(), 10, 64)
				require.NoError(t, err, "%s[%d] = %s", name, i, w)
				assert.Equal(t, n, g, "%s[%d]", name, i)
			default:
				t.Fatalf("%s[%d]: unexpected decoded type %T", name, i, g)
			}
		case bool:
			assert.Equal(t, w, got[i], "%s[%d]", name, i)
		default:
			t.Fatalf("%s[%d]: unexpected JSON leaf %T", name, i, w)
		}
	}
}

func TestFixtures(t *testing.T) {
	exp := loadExpected(t)
	files := []string{"module.bin", "protocol4.bin", "parameters.bin", "dtypes.bin", "views.bin", "plain_dict.bin", "legacy.bin"}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			want, ok := exp[file]
			require.True(t, ok, "expected.json has no %s", file)
			path := filepath.Join("testdata", file)
			fromFile, err := Read(path)
			require.NoError(t, err)
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			fromBytes, err := ReadBytes(raw, file)
			require.NoError(t, err)
			assert.Equal(t, fromFile, fromBytes, "Read and ReadBytes differ")

			names := make([]string, 0, len(fromFile))
			for _, ts := range fromFile {
				names = append(names, ts.Name)
			}
			wantNames := make([]string, 0, len(want))
			for k := range want {
				wantNames = append(wantNames, k)
			}
			slices.Sort(wantNames)
			assert.Equal(t, wantNames, names, "names, sorted")

			for _, ts := range fromFile {
				w, ok := want[ts.Name]
				if !assert.True(t, ok, "unexpected tensor %s", ts.Name) {
					continue
				}
				assert.Equal(t, w.DType, ts.DType, ts.Name)
				assert.Equal(t, w.Shape, ts.Shape, ts.Name)
				assert.NotNil(t, ts.Data, ts.Name)
				assert.Equal(t, w.Hex, hex.EncodeToString(ts.Data), "%s bytes", ts.Name)
				assertValues(t, ts.Name, decodeValues(t, ts.DType, ts.Data), flatten(t, w.Values))
			}
		})
	}
}

func TestViewsAreIndependentCopies(t *testing.T) {
	for _, file := range []string{"views.bin", "legacy.bin"} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", file))
			require.NoError(t, err)
			before := bytes.Clone(raw)
			ts, err := ReadBytes(raw, file)
			require.NoError(t, err)
			byName := map[string]Tensor{}
			for _, x := range ts {
				byName[x.Name] = x
			}
			a, b := byName["tied_a"], byName["tied_b"]
			require.Equal(t, a.Data, b.Data)
			// The base row 2 is what tied_a views (offset 8, 4 floats).
			assert.Equal(t, byName["base"].Data[8*4:12*4], a.Data)
			a.Data[0] ^= 0xff
			assert.NotEqual(t, a.Data, b.Data, "tied tensors must not share memory")
			assert.NotEqual(t, byName["base"].Data[8*4:12*4], a.Data, "a view must not share memory with its base")
			for i := range ts {
				for j := range ts[i].Data {
					ts[i].Data[j] = 0xAB
				}
			}
			assert.Equal(t, before, raw, "ReadBytes results must not alias the input")
		})
	}
}

func TestMaliciousPickleIsRefused(t *testing.T) {
	path := filepath.Join("testdata", "malicious.bin")
	_, err := Read(path)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrForbiddenGlobal)
	assert.ErrorIs(t, err, ErrFormat)
	assert.Contains(t, err.Error(), "os.system")
	assert.Contains(t, err.Error(), path)

	// The same pickle outside a zip goes down the legacy path: refused too.
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	rc, err := zr.File[0].Open()
	require.NoError(t, err)
	pkl := new(bytes.Buffer)
	_, err = pkl.ReadFrom(rc)
	require.NoError(t, err)
	_, err = ReadBytes(pkl.Bytes(), "raw.pkl")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrForbiddenGlobal)
	assert.Contains(t, err.Error(), "raw.pkl")
	assert.Contains(t, err.Error(), "os.system")
}

// TestDeflatedArchive re-packs a fixture with compressed entries: the values
// must not change.
func TestDeflatedArchive(t *testing.T) {
	path := filepath.Join("testdata", "module.bin")
	want, err := Read(path)
	require.NoError(t, err)
	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	defer zr.Close()
	var entries []zipEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b := new(bytes.Buffer)
		_, err = b.ReadFrom(rc)
		require.NoError(t, err)
		rc.Close()
		entries = append(entries, zipEntry{name: f.Name, data: b.Bytes()})
	}
	packed := makeZip(t, zip.Deflate, entries...)
	got, err := ReadBytes(packed, "deflated.bin")
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// TestTiedWeightsDoNotAlias: two keys on one whole storage (tied input and
// output embeddings) must come back as two buffers.
func TestTiedWeightsDoNotAlias(t *testing.T) {
	tensor := v2(pid("FloatStorage", "0", 4), 0, ints(2, 2), ints(2, 1))
	data := archive(t, stateDict(kv("decoder.weight", tensor), kv("embed.weight", tensor)), zipEntry{"0", f32s(1, 2, 3, 4)})
	ts, err := ReadBytes(data, "tied.bin")
	require.NoError(t, err)
	require.Len(t, ts, 2)
	assert.Equal(t, f32s(1, 2, 3, 4), ts[0].Data)
	assert.Equal(t, f32s(1, 2, 3, 4), ts[1].Data)
	ts[0].Data[0] ^= 0xff
	assert.Equal(t, f32s(1, 2, 3, 4), ts[1].Data, "writing one tied tensor changed the other")
}
