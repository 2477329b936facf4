package torch

import (
	"math"
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
		var y *Tensor
		if onednn {
			y = s.OneDNNLinear(x, w, b)
		} else {
			y = s.Linear(x, w, b)
		}
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
