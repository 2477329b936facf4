package torch

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// mk makes a float32 CPU tensor and closes it when the test ends.
func mk(t *testing.T, data []float32, shape ...int64) *Tensor {
	t.Helper()
	x, err := FromSlice(data, shape...)
	require.NoError(t, err)
	t.Cleanup(x.Close)
	return x
}

// vals returns a function that copies a tensor out as float32 and closes it; it takes an op's two
// results directly: vals(t)(Add(a, b)).
func vals(t *testing.T) func(x *Tensor, err error) []float32 {
	return func(x *Tensor, err error) []float32 {
		t.Helper()
		require.NoError(t, err)
		defer x.Close()
		v, err := x.Float32s()
		require.NoError(t, err)
		return v
	}
}

func assertClose(t *testing.T, want, got []float32, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if math.IsNaN(float64(want[i])) {
			require.True(t, math.IsNaN(float64(got[i])), "element %d: want NaN, got %v", i, got[i])
			continue
		}
		require.InDelta(t, want[i], got[i], tol, "element %d: want %v, got %v (all: %v)", i, want[i], got[i], got)
	}
}
