package torch

import (
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// numericGrad estimates d f / d x_i by central differences in float64.
func numericGrad(t *testing.T, f func(x *Tensor) *Tensor, x0 []float64, shape []int64) []float64 {
	t.Helper()
	const h = 1e-6
	g := make([]float64, len(x0))
	eval := func(x []float64) float64 {
		xt, err := FromSlice(x, shape...)
		require.NoError(t, err)
		defer xt.Close()
		out := f(xt)
		defer out.Close()
		v, err := out.Item()
		require.NoError(t, err)
		return v
	}
	for i := range x0 {
		p := append([]float64(nil), x0...)
		m := append([]float64(nil), x0...)
		p[i] += h
		m[i] -= h
		g[i] = (eval(p) - eval(m)) / (2 * h)
	}
	return g
}

func TestAutogradMatchesFiniteDifferences(t *testing.T) {
	x0 := []float64{0.3, -1.2, 0.8, 2.0, -0.4, 0.1}
	shape := []int64{2, 3}
	w0 := []float64{0.5, -0.3, 0.2, 0.1, 0.7, -0.6}
	cases := []struct {
		name string
		f    func(s *Scope, x *Tensor) *Tensor
	}{
		{"gelu-sum", func(s *Scope, x *Tensor) *Tensor { return s.Sum(s.Gelu(x), false) }},
		{"tanh-mean-square", func(s *Scope, x *Tensor) *Tensor { return s.Mean(s.Square(s.Tanh(x)), false) }},
		{"logsoftmax", func(s *Scope, x *Tensor) *Tensor {
			return s.Sum(s.Narrow(s.LogSoftmax(x, 1), 1, 0, 1), false)
		}},
		{"layernorm-linear", func(s *Scope, x *Tensor) *Tensor {
			w := s.Track(FromSlice(w0, 2, 3))
			one := s.Track(Ones([]int64{3}, Float64, CPU))
			zero := s.Track(Zeros([]int64{3}, Float64, CPU))
			y := s.Linear(s.LayerNorm(x, one, zero, 1e-5), w, nil)
			return s.Sum(s.Mul(y, y), false)
		}},
		{"cosine", func(s *Scope, x *Tensor) *Tensor {
			w := s.Track(FromSlice(w0, 2, 3))
			return s.Sum(s.CosineSimilarity(x, w, 1, 1e-8), false)
		}},
		{"normalize-matmul", func(s *Scope, x *Tensor) *Tensor {
			n := s.Normalize(x, 2, 1, 1e-12)
			return s.Sum(s.Matmul(n, s.Transpose(n, 0, 1)), false)
		}},
		{"softplus-logsumexp", func(s *Scope, x *Tensor) *Tensor { return s.LogSumExp(s.Softplus(x), false) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := func(x *Tensor) *Tensor {
				out, err := Run(func(s *Scope) *Tensor { return c.f(s, x) })
				require.NoError(t, err)
				return out
			}
			want := numericGrad(t, run, x0, shape)

			x, err := FromSlice(x0, shape...)
			require.NoError(t, err)
			defer x.Close()
			require.NoError(t, x.SetRequiresGrad(true))
			loss := run(x)
			defer loss.Close()
			require.NoError(t, loss.Backward())
			g, err := x.Grad()
			require.NoError(t, err)
			require.NotNil(t, g)
			defer g.Close()
			got, err := Data[float64](g)
			require.NoError(t, err)
			for i := range want {
				assert.InDelta(t, want[i], got[i], 1e-5, "d/dx[%d]", i)
			}
		})
	}
}

func TestGradAccumulatesAndZeroGrad(t *testing.T) {
	x, err := FromSlice([]float32{1, 2})
	require.NoError(t, err)
	defer x.Close()
	require.NoError(t, x.SetRequiresGrad(true))
	g0, err := x.Grad()
	require.NoError(t, err)
	assert.Nil(t, g0, "no gradient before backward")
	for range 2 {
		l, err := Run(func(s *Scope) *Tensor { return s.Sum(s.MulScalar(x, 3), false) })
		require.NoError(t, err)
		require.NoError(t, l.Backward())
		l.Close()
	}
	g, err := x.Grad()
	require.NoError(t, err)
	assertClose(t, []float32{6, 6}, vals(t)(g, nil), 0)
	require.NoError(t, x.ZeroGrad())
	g2, err := x.Grad()
	require.NoError(t, err)
	assert.Nil(t, g2)
}

func TestNoGradAndInferenceMode(t *testing.T) {
	x, err := FromSlice([]float32{1, 2})
	require.NoError(t, err)
	defer x.Close()
	require.NoError(t, x.SetRequiresGrad(true))
	var inside *Tensor
	require.NoError(t, NoGrad(func() error {
		assert.False(t, GradEnabled())
		inside, err = MulScalar(x, 2)
		return err
	}))
	defer inside.Close()
	rg, err := inside.RequiresGrad()
	require.NoError(t, err)
	assert.False(t, rg, "ops inside NoGrad are not recorded")
	// Nested regions restore the outer mode.
	require.NoError(t, NoGrad(func() error {
		require.NoError(t, EnableGrad(func() error {
			assert.True(t, GradEnabled())
			return nil
		}))
		assert.False(t, GradEnabled())
		return nil
	}))
	require.NoError(t, InferenceMode(func() error {
		assert.True(t, InInferenceMode())
		y, err := MulScalar(x, 2)
		if err != nil {
			return err
		}
		defer y.Close()
		rg, err := y.RequiresGrad()
		assert.False(t, rg)
		return err
	}))
}

// Grad mode set in one goroutine never reaches another, even while both run ops.
func TestGradModeIsPerGoroutine(t *testing.T) {
	x, err := FromSlice([]float32{1, 2, 3})
	require.NoError(t, err)
	defer x.Close()
	require.NoError(t, x.SetRequiresGrad(true))
	inRegion := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_ = NoGrad(func() error {
			close(inRegion)
			<-release
			return nil
		})
	}()
	<-inRegion
	var failures int
	var mu sync.Mutex
	var wg2 sync.WaitGroup
	for range 8 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for range 200 {
				y, err := MulScalar(x, 2)
				if err != nil {
					mu.Lock()
					failures++
					mu.Unlock()
					continue
				}
				rg, _ := y.RequiresGrad()
				y.Close()
				if !rg {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		}()
	}
	wg2.Wait()
	close(release)
	wg.Wait()
	assert.Zero(t, failures, "ops outside the NoGrad goroutine must record grad")
}

func TestAdamWMatchesFormula(t *testing.T) {
	p0 := []float64{0.5, -1.0, 2.0}
	cfg := AdamWConfig{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	const wd = 0.01
	p, err := FromSlice(p0)
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.SetRequiresGrad(true))
	opt, err := NewAdamW([]ParamGroup{{Params: []*Tensor{p}, WeightDecay: wd}}, cfg)
	require.NoError(t, err)
	defer opt.Close()

	// Reference in float64: loss = sum(p^3), grad = 3 p^2.
	want := append([]float64(nil), p0...)
	m := make([]float64, 3)
	v := make([]float64, 3)
	for step := 1; step <= 4; step++ {
		require.NoError(t, opt.ZeroGrad())
		l, err := Run(func(s *Scope) *Tensor { return s.Sum(s.PowScalar(p, 3), false) })
		require.NoError(t, err)
		require.NoError(t, l.Backward())
		l.Close()
		require.NoError(t, opt.Step())
		for i := range want {
			g := 3 * want[i] * want[i]
			want[i] *= 1 - cfg.LR*wd
			m[i] = cfg.Beta1*m[i] + (1-cfg.Beta1)*g
			v[i] = cfg.Beta2*v[i] + (1-cfg.Beta2)*g*g
			mh := m[i] / (1 - math.Pow(cfg.Beta1, float64(step)))
			vh := v[i] / (1 - math.Pow(cfg.Beta2, float64(step)))
			want[i] -= cfg.LR * mh / (math.Sqrt(vh) + cfg.Eps)
		}
		got, err := Data[float64](p)
		require.NoError(t, err)
		for i := range want {
			assert.InDelta(t, want[i], got[i], 1e-9, "step %d param %d", step, i)
		}
	}
	assert.Equal(t, int64(4), opt.StepCount())

	// State round trip: a fresh optimizer loaded with the state takes the same next step.
	state, step := opt.State()
	q, err := FromSlice(mustData(t, p))
	require.NoError(t, err)
	defer q.Close()
	require.NoError(t, q.SetRequiresGrad(true))
	opt2, err := NewAdamW([]ParamGroup{{Params: []*Tensor{q}, WeightDecay: wd}}, cfg)
	require.NoError(t, err)
	defer opt2.Close()
	require.NoError(t, opt2.LoadState(state, step))
	for _, pair := range []struct {
		o *AdamW
		x *Tensor
	}{{opt, p}, {opt2, q}} {
		require.NoError(t, pair.o.ZeroGrad())
		l, err := Run(func(s *Scope) *Tensor { return s.Sum(s.PowScalar(pair.x, 3), false) })
		require.NoError(t, err)
		require.NoError(t, l.Backward())
		l.Close()
		require.NoError(t, pair.o.Step())
	}
	assert.Equal(t, mustData(t, p), mustData(t, q))
	assert.Error(t, opt2.LoadState(map[string]*Tensor{}, 1), "missing buffers are refused")
}

func mustData(t *testing.T, x *Tensor) []float64 {
	t.Helper()
	v, err := Data[float64](x)
	require.NoError(t, err)
	return v
}

func TestSGDAndClipping(t *testing.T) {
	p, err := FromSlice([]float64{1, -2})
	require.NoError(t, err)
	defer p.Close()
	require.NoError(t, p.SetRequiresGrad(true))
	opt, err := NewSGD([]ParamGroup{{Params: []*Tensor{p}}}, 0.1, 0.9, false)
	require.NoError(t, err)
	defer opt.Close()
	// loss = sum(p^2): g = 2p. Step 1: buf = g; p -= 0.1 buf. Step 2: buf = 0.9 buf + g.
	want := []float64{1, -2}
	buf := []float64{0, 0}
	for step := 1; step <= 2; step++ {
		require.NoError(t, opt.ZeroGrad())
		l, err := Run(func(s *Scope) *Tensor { return s.Sum(s.Square(p), false) })
		require.NoError(t, err)
		require.NoError(t, l.Backward())
		l.Close()
		require.NoError(t, opt.Step())
		for i := range want {
			g := 2 * want[i]
			if step == 1 {
				buf[i] = g
			} else {
				buf[i] = 0.9*buf[i] + g
			}
			want[i] -= 0.1 * buf[i]
		}
		got := mustData(t, p)
		for i := range want {
			assert.InDelta(t, want[i], got[i], 1e-12)
		}
	}
	// Clipping: gradient (3, 4) has norm 5; clipped to norm 1 it becomes (0.6, 0.8).
	c, err := FromSlice([]float64{0, 0})
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetRequiresGrad(true))
	w, err := FromSlice([]float64{3, 4})
	require.NoError(t, err)
	defer w.Close()
	l, err := Run(func(s *Scope) *Tensor { return s.Sum(s.Mul(c, w), false) })
	require.NoError(t, err)
	require.NoError(t, l.Backward())
	l.Close()
	norm, err := ClipGradNorm([]*Tensor{c}, 1)
	require.NoError(t, err)
	assert.InDelta(t, 5, norm, 1e-9)
	g, err := c.Grad()
	require.NoError(t, err)
	defer g.Close()
	gv := mustData(t, g)
	assert.InDelta(t, 0.6, gv[0], 1e-6)
	assert.InDelta(t, 0.8, gv[1], 1e-6)
}
