package torch

import (
	"fmt"
	"math"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomLayer makes an encoder layer's 12 weights, N(0, 1), hidden size H and FFN size I, owned by sc.
func randomLayer(sc *Scope, H, I int64) EncoderLayerWeights {
	rn := func(shape ...int64) *Tensor { return sc.Track(Randn(shape, Float32, CPU)) }
	return EncoderLayerWeights{
		QKVWeight: rn(3*H, H), QKVBias: rn(3 * H), OutWeight: rn(H, H), OutBias: rn(H),
		AttnNormWeight: rn(H), AttnNormBias: rn(H), InterWeight: rn(I, H), InterBias: rn(I),
		OutputWeight: rn(H, I), OutputBias: rn(H), OutputNormWeight: rn(H), OutputNormBias: rn(H),
	}
}

// The oneDNN path of EncoderLayer gives the plain path's output to float rounding.
func TestEncoderLayerPackedMatchesPlain(t *testing.T) {
	if !MKLDNNAvailable() {
		t.Skip("libtorch has no oneDNN")
	}
	const B, S, H, heads, I = 3, 5, 16, 4, 32
	require.NoError(t, ManualSeed(11))
	sc := NewScope()
	defer sc.Close()
	pack := func(x *Tensor) *Tensor { return sc.Track(ToMKLDNN(x)) }
	x := sc.Track(Randn([]int64{B, S, H}, Float32, CPU))
	w := randomLayer(sc, H, I)
	p := w
	p.QKVWeight, p.QKVBias, p.OutWeight, p.OutBias = pack(w.QKVWeight), pack(w.QKVBias), pack(w.OutWeight), pack(w.OutBias)
	p.InterWeight, p.InterBias, p.OutputWeight, p.OutputBias = pack(w.InterWeight), pack(w.InterBias), pack(w.OutputWeight), pack(w.OutputBias)
	ok, err := p.QKVWeight.IsMKLDNN()
	require.NoError(t, err)
	assert.True(t, ok)
	mask := sc.FromSlice([]float32{0, 0, 0, 0, 0, 0, 0, 0, -1e9, -1e9, 0, 0, 0, 0, -1e9}, B, 1, 1, S)
	opt := EncoderLayerOptions{Heads: heads, Eps: 1e-12, Activation: ActGELU}
	want := sc.EncoderLayer(x, mask, nil, &w, opt)
	got := sc.EncoderLayer(x, mask, nil, &p, opt)
	require.NoError(t, sc.Err())
	wv, err := want.Float32s()
	require.NoError(t, err)
	gv, err := got.Float32s()
	require.NoError(t, err)
	var maxd float64
	for i := range wv {
		maxd = math.Max(maxd, math.Abs(float64(wv[i]-gv[i])))
	}
	assert.Less(t, maxd, 1e-5)
	_, err = ToMKLDNN(sc.Track(Arange(0, 4, Int64, CPU)))
	assert.Error(t, err, "integer tensors cannot be packed")
}

// OneDNNLinear gives hand-computed values, and Linear's values and gradients to float rounding.
func TestOneDNNLinearMatchesLinear(t *testing.T) {
	if !MKLDNNAvailable() {
		t.Skip("libtorch has no oneDNN")
	}
	// By hand: x [1, 2] = (1, 2); W rows (1, 0), (0, 1), (1, 1); b = (0.5, 0, -1): y = (1.5, 2, 2).
	got := vals(t)(OneDNNLinear(mk(t, []float32{1, 2}, 1, 2), mk(t, []float32{1, 0, 0, 1, 1, 1}, 3, 2), mk(t, []float32{0.5, 0, -1}, 3)))
	assertClose(t, []float32{1.5, 2, 2}, got, 0)

	require.NoError(t, ManualSeed(5))
	sc := NewScope()
	defer sc.Close()
	x0 := sc.Track(Randn([]int64{4, 7, 24}, Float32, CPU))
	w0 := sc.Track(Randn([]int64{40, 24}, Float32, CPU))
	b0 := sc.Track(Randn([]int64{40}, Float32, CPU))
	c := sc.Track(Randn([]int64{4, 7, 40}, Float32, CPU))
	type result struct{ y, gx, gw, gb []float32 }
	run := func(onednn bool) result {
		s := NewScope()
		defer s.Close()
		x, w, b := s.Clone(x0), s.Clone(w0), s.Clone(b0)
		for _, p := range []*Tensor{x, w, b} {
			require.NoError(t, p.SetRequiresGrad(true))
		}
		y := trainingLinear(s, onednn, x, w, b)
		loss := s.Sum(s.Mul(y, c), false)
		require.NoError(t, s.Err())
		require.NoError(t, loss.Backward())
		out := result{y: vals(t)(Detach(y))}
		for i, p := range []*Tensor{x, w, b} {
			g := vals(t)(p.Grad())
			switch i {
			case 0:
				out.gx = g
			case 1:
				out.gw = g
			default:
				out.gb = g
			}
		}
		return out
	}
	var want, got2 result
	require.NoError(t, EnableGrad(func() error { want, got2 = run(false), run(true); return nil }))
	assertClose(t, want.y, got2.y, 1e-4)
	assertClose(t, want.gx, got2.gx, 1e-4)
	assertClose(t, want.gw, got2.gw, 1e-4)
	assertClose(t, want.gb, got2.gb, 1e-5)

	_, err := OneDNNLinear(sc.Track(Arange(0, 24, Int64, CPU)), w0, nil)
	assert.ErrorContains(t, err, "float32")
	_, err = OneDNNLinear(x0, sc.Track(Randn([]int64{3, 5}, Float32, CPU)), nil)
	assert.ErrorContains(t, err, "does not match")
}

// EncoderLayer's OneDNN option gives the plain path's output and weight gradients to float rounding.
func TestEncoderLayerOneDNNTrainingMatchesPlain(t *testing.T) {
	if !MKLDNNAvailable() {
		t.Skip("libtorch has no oneDNN")
	}
	const B, S, H, heads, I = 3, 6, 32, 4, 64
	require.NoError(t, ManualSeed(12))
	sc := NewScope()
	defer sc.Close()
	x0 := sc.Track(Randn([]int64{B, S, H}, Float32, CPU))
	w0 := randomLayer(sc, H, I)
	mask := sc.FromSlice([]float32{0, 0, 0, 0, 0, 0, 0, 0, 0, -1e9, -1e9, -1e9, 0, 0, 0, 0, 0, -1e9}, B, 1, 1, S)
	c := sc.Track(Randn([]int64{B, S, H}, Float32, CPU))
	run := func(onednn bool) [][]float32 {
		s := NewScope()
		defer s.Close()
		var w EncoderLayerWeights
		src, dst := w0.Tensors(), make([]*Tensor, 12)
		for i, p := range src {
			dst[i] = s.Clone(p)
			require.NoError(t, dst[i].SetRequiresGrad(true))
		}
		w.QKVWeight, w.QKVBias, w.OutWeight, w.OutBias, w.AttnNormWeight, w.AttnNormBias = dst[0], dst[1], dst[2], dst[3], dst[4], dst[5]
		w.InterWeight, w.InterBias, w.OutputWeight, w.OutputBias, w.OutputNormWeight, w.OutputNormBias = dst[6], dst[7], dst[8], dst[9], dst[10], dst[11]
		y := s.EncoderLayer(x0, mask, nil, &w, EncoderLayerOptions{Heads: heads, Eps: 1e-12, Activation: ActGELU, Train: true, OneDNN: onednn})
		loss := s.Sum(s.Mul(y, c), false)
		require.NoError(t, s.Err())
		require.NoError(t, loss.Backward())
		out := [][]float32{vals(t)(Detach(y))}
		for _, p := range dst {
			out = append(out, vals(t)(p.Grad()))
		}
		return out
	}
	var want, got [][]float32
	require.NoError(t, EnableGrad(func() error { want, got = run(false), run(true); return nil }))
	for i := range want {
		scale := 0.0
		for _, v := range want[i] {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		var maxd float64
		for j := range want[i] {
			maxd = math.Max(maxd, math.Abs(float64(want[i][j]-got[i][j])))
		}
		assert.LessOrEqual(t, maxd, 1e-5*math.Max(1, scale), "tensor %d (0: output, then the 12 weights' gradients): max |diff| %g, scale %g", i, maxd, scale)
	}
}

// PackLinear's weight reads as the dense weight, and Linear through it gives hand-computed values and the
// plain linear's values to float rounding for row counts from one to thousands, with and without a bias;
// under autograd it computes through the plain path. Bad weights are refused.
func TestPackLinearMatchesLinear(t *testing.T) {
	if !PackedLinearAvailable() {
		t.Skip("this shim has no direct oneDNN path (libtorch with a private oneDNN, or no libdnnl-dev)")
	}
	sc := NewScope()
	defer sc.Close()
	// By hand: x [1, 2] = (1, 2); W rows (1, 0), (0, 1), (1, 1); b = (0.5, 0, -1): y = (1.5, 2, 2).
	w := sc.Track(PackLinear(mk(t, []float32{1, 0, 0, 1, 1, 1}, 3, 2)))
	ok, err := w.IsPackedLinear()
	require.NoError(t, err)
	assert.True(t, ok)
	dense, err := w.Float32s()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, 0, 0, 1, 1, 1}, dense, "the packed handle reads as the dense weight")
	var got []float32
	require.NoError(t, InferenceMode(func() error {
		got = vals(t)(Linear(mk(t, []float32{1, 2}, 1, 2), w, mk(t, []float32{0.5, 0, -1}, 3)))
		return nil
	}))
	assertClose(t, []float32{1.5, 2, 2}, got, 0)

	require.NoError(t, ManualSeed(17))
	w0 := sc.Track(Randn([]int64{96, 64}, Float32, CPU))
	b0 := sc.Track(Randn([]int64{96}, Float32, CPU))
	pw := sc.Track(PackLinear(w0))
	plain, err := w0.IsPackedLinear()
	require.NoError(t, err)
	assert.False(t, plain)
	for _, c := range []struct {
		shape []int64
		bias  bool
	}{
		{[]int64{1, 64}, true},
		{[]int64{7, 64}, false},
		{[]int64{4, 8, 64}, true},
		{[]int64{3, 111, 64}, true},
		{[]int64{2048, 64}, false},
	} {
		x := sc.Track(Randn(c.shape, Float32, CPU))
		b := b0
		if !c.bias {
			b = nil
		}
		var want, got []float32
		require.NoError(t, InferenceMode(func() error {
			want = vals(t)(Linear(x, w0, b))
			got = vals(t)(Linear(x, pw, b))
			return nil
		}), "shape %v", c.shape)
		assertClose(t, want, got, 1e-4)
	}

	// Under autograd the packed weight computes through at::linear, so gradients reach the input.
	x := sc.Track(Randn([]int64{5, 64}, Float32, CPU))
	require.NoError(t, x.SetRequiresGrad(true))
	require.NoError(t, EnableGrad(func() error {
		y := sc.Linear(x, pw, b0)
		require.NoError(t, sc.Err())
		return sc.Sum(y, false).Backward()
	}))
	g := vals(t)(x.Grad())
	colSums := vals(t)(Sum(w0, false, 0))
	assertClose(t, colSums, g[:64], 1e-4) // d sum(x W^T) / dx[0] = sum of W's rows

	_, err = PackLinear(sc.Track(Arange(0, 4, Int64, CPU)))
	assert.ErrorContains(t, err, "2-D")
	_, err = PackLinear(sc.Track(Randn([]int64{2, 3}, Float64, CPU)))
	assert.ErrorContains(t, err, "float32")
	require.NoError(t, InferenceMode(func() error {
		_, err = Linear(sc.Track(Randn([]int64{2, 5}, Float32, CPU)), pw, nil)
		return nil
	}))
	assert.ErrorContains(t, err, "does not match")
}

// Where the shim is expected to have the direct oneDNN path (scripts/test.sh sets
// FEWSHOT_REQUIRE_DIRECT_ONEDNN=1 on Debian with libdnnl-dev), its absence fails instead of skipping the
// tests above.
func TestDirectOneDNNBuiltWhereRequired(t *testing.T) {
	if os.Getenv("FEWSHOT_REQUIRE_DIRECT_ONEDNN") != "1" {
		t.Skip("FEWSHOT_REQUIRE_DIRECT_ONEDNN is not 1")
	}
	assert.True(t, PackedLinearAvailable(), "the shim was built without its direct oneDNN path (CMake: libdnnl-dev missing, or libtorch does not link libdnnl.so)")
}

// One packed weight serves several goroutines at once (each call has its own scratch memory; the
// primitive cache is locked), with row counts that make the cache build and reuse primitives.
func TestPackLinearConcurrent(t *testing.T) {
	if !PackedLinearAvailable() {
		t.Skip("this shim has no direct oneDNN path")
	}
	require.NoError(t, ManualSeed(23))
	sc := NewScope()
	defer sc.Close()
	w := sc.Track(Randn([]int64{48, 32}, Float32, CPU))
	b := sc.Track(Randn([]int64{48}, Float32, CPU))
	pw := sc.Track(PackLinear(w))
	xs := make([]*Tensor, 8)
	want := make([][]float32, len(xs))
	for i := range xs {
		xs[i] = sc.Track(Randn([]int64{int64(1 + 5*i), 32}, Float32, CPU))
		want[i] = vals(t)(Linear(xs[i], w, b))
	}
	require.NoError(t, sc.Err())
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(xs))
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				i := (g + r) % len(xs)
				err := InferenceMode(func() error {
					y, err := Linear(xs[i], pw, b)
					if err != nil {
						return err
					}
					defer y.Close()
					got, err := y.Float32s()
					if err != nil {
						return err
					}
					for k := range got {
						if math.Abs(float64(got[k]-want[i][k])) > 1e-4 {
							return fmt.Errorf("rows %d, element %d: %v, want %v", 1+5*i, k, got[k], want[i][k])
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

// trainingLinear is the linear layer a training step uses: oneDNN's (OneDNNLinear) or libtorch's (Linear).
func trainingLinear(s *Scope, onednn bool, x, w, b *Tensor) *Tensor {
	if onednn {
		return s.OneDNNLinear(x, w, b)
	}
	return s.Linear(x, w, b)
}
