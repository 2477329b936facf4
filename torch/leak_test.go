package torch

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rssBytes reads the process's resident set size from /proc (Linux).
func rssBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			require.NoError(t, err)
			return kb * 1024
		}
	}
	t.Skip("VmRSS not found")
	return 0
}

// trainStep runs one forward/backward/update step of a small MLP inside a scope.
func trainStep(t *testing.T, w1, w2 *Tensor, opt *AdamW, x, y *Tensor) {
	t.Helper()
	s := NewScope()
	defer s.Close()
	h := s.Gelu(s.Linear(x, w1, nil))
	out := s.Linear(h, w2, nil)
	loss := s.MSELoss(out, y)
	require.NoError(t, s.Err())
	require.NoError(t, opt.ZeroGrad())
	require.NoError(t, loss.Backward())
	require.NoError(t, opt.Step())
}

func TestNoLeaksOverThousandsOfSteps(t *testing.T) {
	start := LiveTensors()
	w1, err := Randn([]int64{64, 32}, Float32, CPU)
	require.NoError(t, err)
	w2, err := Randn([]int64{8, 64}, Float32, CPU)
	require.NoError(t, err)
	require.NoError(t, w1.SetRequiresGrad(true))
	require.NoError(t, w2.SetRequiresGrad(true))
	opt, err := NewAdamW([]ParamGroup{{Params: []*Tensor{w1, w2}, WeightDecay: 0.01}}, DefaultAdamW(1e-3))
	require.NoError(t, err)
	x, err := Randn([]int64{16, 32}, Float32, CPU)
	require.NoError(t, err)
	y, err := Randn([]int64{16, 8}, Float32, CPU)
	require.NoError(t, err)

	for range 500 { // warm up allocator caches before measuring memory
		trainStep(t, w1, w2, opt, x, y)
	}
	runtime.GC()
	rss0 := rssBytes(t)
	live0 := LiveTensors()
	for range 3000 {
		trainStep(t, w1, w2, opt, x, y)
	}
	runtime.GC()
	rss1 := rssBytes(t)
	assert.Equal(t, live0, LiveTensors(), "every tensor made inside a step is freed by its scope")
	assert.Less(t, rss1-rss0, int64(20<<20), "RSS grew by %d bytes over 3000 steps", rss1-rss0)

	opt.Close()
	for _, tt := range []*Tensor{w1, w2, x, y} {
		tt.Close()
	}
	assert.Equal(t, start, LiveTensors(), "closing parameters and optimizer returns the count to its start")
}

func TestScopeKeepAndClose(t *testing.T) {
	start := LiveTensors()
	s := NewScope()
	a := s.FromSlice([]float32{1, 2})
	b := s.MulScalar(a, 3)
	kept := s.Keep(s.AddScalar(b, 1))
	assert.Equal(t, 2, s.Len())
	s.Close()
	s.Close() // idempotent
	assert.True(t, a.Closed())
	assert.True(t, b.Closed())
	assert.False(t, kept.Closed())
	assertClose(t, []float32{4, 7}, vals(t)(kept, nil), 0)
	assert.Equal(t, start, LiveTensors())

	// After the first error every op returns nil and the error is kept.
	s2 := NewScope()
	defer s2.Close()
	x := s2.FromSlice([]float32{1, 2, 3}, 3)
	bad := s2.Matmul(x, s2.FromSlice([]float32{1, 2}, 2))
	assert.Nil(t, bad)
	assert.Nil(t, s2.Neg(bad))
	require.Error(t, s2.Err())
	assert.Contains(t, s2.Err().Error(), "matmul")
}

func TestCloseIsIdempotentAndSafe(t *testing.T) {
	start := LiveTensors()
	x, err := FromSlice([]float32{1})
	require.NoError(t, err)
	x.Close()
	x.Close()
	var nilT *Tensor
	nilT.Close()
	assert.Equal(t, start, LiveTensors())
	assert.Equal(t, "Tensor(closed)", x.String())
}

// Several goroutines use tensors at once: shared read-only inputs, private outputs (run with -race).
func TestConcurrentUse(t *testing.T) {
	start := LiveTensors()
	shared, err := FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	require.NoError(t, err)
	defer shared.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := range 300 {
				s := NewScope()
				v := s.MulScalar(s.Matmul(shared, shared), float64(g))
				sum := s.Sum(v, false)
				if err := s.Err(); err != nil {
					errs <- err
					s.Close()
					return
				}
				got, err := sum.Item()
				s.Close()
				if err != nil {
					errs <- err
					return
				}
				if want := float64(54 * g); got != want {
					errs <- assert.AnError
					t.Errorf("goroutine %d step %d: sum %v, want %v", g, i, got, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, start+1, LiveTensors())
}
