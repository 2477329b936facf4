package classify

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMinimizeLBFGS(t *testing.T) {
	// A badly scaled quadratic ½xᵀAx − bᵀx: the minimum solves Ax = b,
	// here A = diag(1, 100, 1e4) plus a coupling, solved by hand.
	quad := func(x, g []float64) (float64, error) {
		// A = [[2,1,0],[1,100,0],[0,0,1e4]], b = [1, 2, 3]
		a := [3][3]float64{{2, 1, 0}, {1, 100, 0}, {0, 0, 1e4}}
		b := [3]float64{1, 2, 3}
		f := 0.0
		for i := 0; i < 3; i++ {
			g[i] = -b[i]
			for j := 0; j < 3; j++ {
				g[i] += a[i][j] * x[j]
				f += 0.5 * x[i] * a[i][j] * x[j]
			}
			f -= b[i] * x[i]
		}
		return f, nil
	}
	// Solution of [[2,1],[1,100]]·(x0,x1) = (1,2): det 199.
	want := []float64{(100*1 - 1*2) / 199.0, (2*2 - 1*1) / 199.0, 3e-4}
	res, err := minimizeLBFGS(quad, []float64{5, -5, 5}, 200, 1e-10)
	require.NoError(t, err)
	for i := range want {
		assert.InDelta(t, want[i], res.x[i], 1e-9, "x[%d]", i)
	}
	assert.LessOrEqual(t, res.gradMax, 1e-8)
	assert.Less(t, res.iters, 50, "a 3-d quadratic takes few iterations")

	// Rosenbrock's valley (not convex, the classic test): minimum at (1, 1).
	rosen := func(x, g []float64) (float64, error) {
		a, b := 1-x[0], x[1]-x[0]*x[0]
		g[0] = -2*a - 400*x[0]*b
		g[1] = 200 * b
		return a*a + 100*b*b, nil
	}
	res, err = minimizeLBFGS(rosen, []float64{-1.2, 1}, 1000, 1e-8)
	require.NoError(t, err)
	assert.InDelta(t, 1, res.x[0], 1e-6)
	assert.InDelta(t, 1, res.x[1], 1e-6)

	// maxIter bounds the iterations; errors propagate.
	res, err = minimizeLBFGS(rosen, []float64{-1.2, 1}, 3, 1e-8)
	require.NoError(t, err)
	assert.Equal(t, 3, res.iters)
	boom := errors.New("boom")
	_, err = minimizeLBFGS(func(x, g []float64) (float64, error) { return 0, boom }, []float64{1}, 10, 1e-8)
	assert.ErrorIs(t, err, boom)
	_, err = minimizeLBFGS(func(x, g []float64) (float64, error) { return math.NaN(), nil }, []float64{1}, 10, 1e-8)
	assert.ErrorContains(t, err, "NaN")
}
