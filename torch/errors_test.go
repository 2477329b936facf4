package torch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorsAreReturnedNotThrown(t *testing.T) {
	a := mk(t, []float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := mk(t, []float32{1, 2, 3, 4}, 2, 2)
	closed := mk(t, []float32{1})
	closed.Close()
	ids, err := FromSlice([]int64{0, 5})
	require.NoError(t, err)
	defer ids.Close()
	d64, err := FromSlice([]float64{1, 2, 3, 4, 5, 6}, 3, 2)
	require.NoError(t, err)
	defer d64.Close()
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"closed tensor", func() error { _, err := Add(closed, a); return err }, "closed"},
		{"nil tensor", func() error { _, err := Neg(nil); return err }, "closed or nil"},
		{"closed shape", func() error { _, err := closed.Shape(); return err }, "closed"},
		{"shape mismatch", func() error { _, err := Add(a, b); return err }, "must match"},
		{"matmul shapes", func() error { _, err := Matmul(a, a); return err }, "cannot be multiplied"},
		{"matmul dtypes", func() error { _, err := Matmul(a, d64); return err }, "Double"},
		{"linear shapes", func() error { _, err := Linear(a, b, nil); return err }, "does not match weight"},
		{"embedding out of range", func() error { _, err := Embedding(a, ids); return err }, "out of range"},
		{"index out of range", func() error { _, err := IndexSelect(a, 1, ids); return err }, "out of range"},
		{"bad dim", func() error { _, err := Sum(a, false, 5); return err }, "out of range"},
		{"narrow past end", func() error { _, err := Narrow(a, 1, 2, 5); return err }, "exceeds"},
		{"reshape", func() error { _, err := Reshape(a, 4, 2); return err }, "invalid"},
		{"from slice size", func() error { _, err := FromSlice([]float32{1, 2, 3}, 2, 2); return err }, "do not fill"},
		{"negative dim", func() error { _, err := Zeros([]int64{-1}, Float32, CPU); return err }, "negative"},
		{"from bytes size", func() error { _, err := FromBytes([]byte{1, 2, 3}, Float32, []int64{1}, CPU); return err }, "needs 4"},
		{"data dtype", func() error { _, err := Data[int64](a); return err }, "asked for int64"},
		{"item of many", func() error { _, err := a.Item(); return err }, "one element"},
		{"backward non-scalar", func() error {
			x := mk(t, []float32{1, 2})
			require.NoError(t, x.SetRequiresGrad(true))
			y, err := MulScalar(x, 2)
			require.NoError(t, err)
			defer y.Close()
			return y.Backward()
		}, "scalar"},
		{"backward without grad", func() error { return a.Backward() }, "does not require grad"},
		{"cross entropy target", func() error {
			tg, err := FromSlice([]int64{0, 7})
			require.NoError(t, err)
			defer tg.Close()
			_, err = CrossEntropy(b, tg)
			return err
		}, "out of range"},
		{"where needs bool", func() error { _, err := Where(a, a, a); return err }, "bool"},
		{"cuda device without cuda", func() error {
			if CUDAAvailable() {
				t.Skip("CUDA is present: this case checks the CPU-only error")
			}
			_, err := Zeros([]int64{1}, Float32, CUDA(0))
			return err
		}, "CUDA"},
		{"dropout p", func() error { _, err := Dropout(a, 1.5, true); return err }, "outside [0, 1]"},
		{"threads", func() error { return SetNumThreads(0) }, "at least 1"},
		{"encoder heads", func() error {
			w := &EncoderLayerWeights{}
			_, err := EncoderLayer(a, a, nil, w, EncoderLayerOptions{Heads: 2})
			return err
		}, "closed"},
		{"cat empty", func() error { _, err := Cat(nil, 0); return err }, "no tensors"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.NotContains(t, err.Error(), "Exception raised from", "C++ backtraces stay out of messages")
		})
	}
}

func TestDeviceParsing(t *testing.T) {
	d, err := ParseDevice("cpu")
	require.NoError(t, err)
	assert.Equal(t, CPU, d)
	d, err = ParseDevice("auto")
	require.NoError(t, err)
	if !CUDAAvailable() {
		assert.Equal(t, CPU, d, "auto falls back to the CPU without CUDA")
	}
	for _, bad := range []string{"gpu", "cuda:x", "cuda:-1", "tpu:0"} {
		_, err := ParseDevice(bad)
		assert.Error(t, err, bad)
	}
	if !CUDAAvailable() {
		_, err := ParseDevice("cuda:0")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "cuda:0")
	}
	assert.Equal(t, "cuda:1", CUDA(1).String())
	for s, want := range map[string]DType{"fp16": Float16, "bf16": BFloat16, "float32": Float32} {
		got, err := ParseDType(s)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err = ParseDType("fp8")
	assert.Error(t, err)
}

func TestCUDA(t *testing.T) {
	if !CUDAAvailable() {
		t.Skipf("CUDA not available (shim built against libtorch %s, CUDA compiled in: %v)", Version(), CUDACompiled())
	}
	dev := CUDA(0)
	x, err := FromSliceOn(dev, []float32{1, 2, 3, 4}, 2, 2)
	require.NoError(t, err)
	defer x.Close()
	d, err := x.Device()
	require.NoError(t, err)
	assert.Equal(t, dev, d)
	y, err := Matmul(x, x)
	require.NoError(t, err)
	require.NoError(t, CUDASynchronize(dev))
	assertClose(t, []float32{7, 10, 15, 22}, vals(t)(y, nil), 0)
	mem, err := CUDAMemoryAllocated(dev)
	require.NoError(t, err)
	assert.Greater(t, mem, int64(0))
	h, err := x.To(Float16, dev)
	require.NoError(t, err)
	assertClose(t, []float32{1, 2, 3, 4}, vals(t)(h, nil), 0)
}
