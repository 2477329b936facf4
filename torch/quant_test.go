package torch

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// needInt8 skips a test where this CPU or libtorch has no quantized engine (the encoder then falls back).
func needInt8(t *testing.T) (reduceRange bool) {
	t.Helper()
	_, rr, err := QuantizedEngine()
	if err != nil {
		t.Skipf("no int8 engine here: %v", err)
	}
	return rr
}

func TestQuantizedEngineIsKnownOrExplained(t *testing.T) {
	name, _, err := QuantizedEngine()
	if err != nil {
		assert.Contains(t, err.Error(), "int8:", "the error says why int8 is unavailable")
		return
	}
	assert.Contains(t, []string{"x86", "fbgemm", "onednn", "qnnpack"}, name)
}

// The int8 weights are PyTorch's default dynamic-quantization weights: scale max|w|/127.5 per block,
// round half to even, clamp to [-128, 127]. Values chosen so every step is exact in binary, worked by hand.
func TestQuantizeLinearWeights(t *testing.T) {
	needInt8(t)
	cases := []struct {
		name   string
		w      []float32
		shape  []int64
		blocks int
		want   []float32 // dequantized
	}{
		// scale 63.75/127.5 = 0.5: 127.5 -> 128 clamps to 127; -20.5 -> -20 (even); 2; 0.5 -> 0 (even).
		{"per tensor", []float32{63.75, -10.25, 1, 0.25}, []int64{2, 2}, 1, []float32{63.5, -10, 1, 0}},
		// scale 0.5: -127.5 -> -128 (even, in range); 6.6 -> 7.
		{"negative maximum", []float32{-63.75, 3.3}, []int64{1, 2}, 1, []float32{-64, 3.5}},
		// Three blocks of two rows: scales 0.5, 0.25 and (all zeros) float32's epsilon.
		{"three blocks", []float32{63.75, 1, 31.875, 0.3, 0, 0}, []int64{6, 1}, 3, []float32{63.5, 1, 31.75, 0.25, 0, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := QuantizeLinear(mk(t, c.w, c.shape...), nil, c.blocks)
			require.NoError(t, err)
			defer q.Close()
			ok, err := q.IsQuantized()
			require.NoError(t, err)
			assert.True(t, ok)
			shape, err := q.Shape()
			require.NoError(t, err)
			assert.Equal(t, c.shape, shape)
			assert.Equal(t, c.want, vals(t)(Dequantize(q)))
		})
	}
}

// refQuantParams is ChooseQuantizationParams (PyTorch/fbgemm) for uint8 activations, written from its
// definition: the range widened to hold 0, scale (max-min)/(qmax-qmin), the zero point taken from the
// end with the smaller rounding error and rounded into [qmin, qmax].
func refQuantParams(lo, hi float32, reduceRange bool) (scale float64, zp int) {
	qmin, qmax := 0, 255
	if reduceRange {
		qmax = 127
	}
	lo, hi = min(lo, 0), max(hi, 0)
	scale = (float64(hi) - float64(lo)) / float64(qmax-qmin)
	if float32(scale) == 0 {
		scale = 0.1
	}
	fromMin := float64(qmin) - float64(lo)/scale
	fromMax := float64(qmax) - float64(hi)/scale
	z := fromMax
	if math.Abs(float64(qmin))-math.Abs(float64(lo)/scale) < math.Abs(float64(qmax))-math.Abs(float64(hi)/scale) {
		z = fromMin
	}
	return float64(float32(scale)), int(min(max(math.RoundToEven(z), float64(qmin)), float64(qmax)))
}

// float32Eps is float32's machine epsilon, the observer's smallest scale.
const float32Eps = 1.1920929e-07

// refWeightScale is the symmetric int8 scale of one block of weights.
func refWeightScale(w []float32) float32 {
	var m float32
	for _, v := range w {
		m = max(m, float32(math.Abs(float64(v))))
	}
	return max(m/127.5, float32Eps)
}

// The quantized linear equals the integer product worked out in Go from the quantized operands, and
// stays within the error bound that rounding each operand by at most half a step implies against the
// float product: |err| <= sum_k |x_k| dw/2 + |w_k| dx/2 + dx dw / 4.
func TestQuantizedLinearMatchesReference(t *testing.T) {
	reduceRange := needInt8(t)
	const N, I, O, blocks = 10, 40, 24, 3
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float32, N*I)
	for i := range x {
		x[i] = float32(rng.NormFloat64())*0.7 + 0.2
	}
	w := make([]float32, O*I)
	for r := range O {
		for k := range I {
			w[r*I+k] = float32(rng.NormFloat64()) * float32(1+r/(O/blocks)) * 0.1 // each block its own range
		}
	}
	b := make([]float32, O)
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	q, err := QuantizeLinear(mk(t, w, O, I), mk(t, b, O), blocks)
	require.NoError(t, err)
	defer q.Close()
	got := vals(t)(QuantizedLinear(mk(t, x, 2, N/2, I), q))
	require.Len(t, got, N*O)

	// Weights: per-block scale, round half to even, clamp.
	qw := make([]float64, O*I)
	sw := make([]float64, O)
	per := O / blocks
	for r := range O {
		blk := r / per
		s := refWeightScale(w[blk*per*I : (blk+1)*per*I])
		sw[r] = float64(s)
		inv := 1 / s // libtorch multiplies by the float32 reciprocal
		for k := range I {
			qw[r*I+k] = min(max(math.RoundToEven(float64(w[r*I+k]*inv)), -128), 127)
		}
	}
	// Activations: per tensor, from the batch's own minimum and maximum.
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	sx, zp := refQuantParams(lo, hi, reduceRange)
	qmax := 255.0
	if reduceRange {
		qmax = 127
	}
	inv := float32(1 / sx)
	var maxRef, maxBound float64
	for n := range N {
		for r := range O {
			var acc, fl, bound float64
			for k := range I {
				qx := min(max(math.RoundToEven(float64(x[n*I+k]*inv))+float64(zp), 0), qmax)
				acc += (qx - float64(zp)) * qw[r*I+k]
				fl += float64(x[n*I+k]) * float64(w[r*I+k])
				bound += math.Abs(float64(x[n*I+k]))*sw[r]/2 + math.Abs(float64(w[r*I+k]))*sx/2 + sx*sw[r]/4
			}
			ref := acc*sx*sw[r] + float64(b[r])
			g := float64(got[n*O+r])
			maxRef = max(maxRef, math.Abs(g-ref)/(1+math.Abs(ref)))
			maxBound = max(maxBound, math.Abs(g-fl-float64(b[r]))/(bound+1e-5))
		}
	}
	assert.Less(t, maxRef, 1e-5, "relative difference from the integer reference")
	assert.LessOrEqual(t, maxBound, 1.0, "error against the float product, as a share of its bound")
}

// An encoder layer with int8 linears stays close to the float32 layer: cosine >= 0.995 per token on
// random weights. Each operand of the four products is rounded by up to half a step (1/255 of the
// activations' range, 1/255 of twice the weights' largest magnitude); the errors partly cancel in the
// dot products and leave the hidden states a few percent of their norm away (0.9997 measured with this
// seed). 0.995 allows a 10% deviation; a wrong scale, zero point or block split gives far less.
func TestEncoderLayerInt8IsClose(t *testing.T) {
	needInt8(t)
	const B, S, H, heads, I = 3, 7, 32, 4, 64
	require.NoError(t, ManualSeed(12))
	sc := NewScope()
	defer sc.Close()
	rn := func(std float64, shape ...int64) *Tensor {
		return sc.MulScalar(sc.Track(Randn(shape, Float32, CPU)), std)
	}
	x := rn(1, B, S, H)
	w := EncoderLayerWeights{
		QKVWeight: rn(0.2, 3*H, H), QKVBias: rn(0.1, 3*H), OutWeight: rn(0.2, H, H), OutBias: rn(0.1, H),
		AttnNormWeight: sc.AddScalar(rn(0.1, H), 1), AttnNormBias: rn(0.1, H), InterWeight: rn(0.2, I, H), InterBias: rn(0.1, I),
		OutputWeight: rn(0.15, H, I), OutputBias: rn(0.1, H), OutputNormWeight: sc.AddScalar(rn(0.1, H), 1), OutputNormBias: rn(0.1, H),
	}
	require.NoError(t, sc.Err())
	p := w
	var err error
	for _, s := range []struct {
		w, b   *Tensor
		dst    **Tensor
		blocks int
	}{{w.QKVWeight, w.QKVBias, &p.QKVWeight, 3}, {w.OutWeight, w.OutBias, &p.OutWeight, 1}, {w.InterWeight, w.InterBias, &p.InterWeight, 1}, {w.OutputWeight, w.OutputBias, &p.OutputWeight, 1}} {
		*s.dst, err = QuantizeLinear(s.w, s.b, s.blocks)
		require.NoError(t, err)
		sc.Track(*s.dst, nil)
	}
	mask := sc.FromSlice([]float32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1e9, -1e9, -1e9, 0, 0, 0, 0, 0, 0, -1e9}, B, 1, 1, S)
	opt := EncoderLayerOptions{Heads: heads, Eps: 1e-12, Activation: ActGELU}
	want := sc.EncoderLayer(x, mask, nil, &w, opt)
	got := sc.EncoderLayer(x, mask, nil, &p, opt)
	require.NoError(t, sc.Err())
	wv, err := want.Float32s()
	require.NoError(t, err)
	gv, err := got.Float32s()
	require.NoError(t, err)
	minCos := 1.0
	for tok := 0; tok < B*S; tok++ {
		var dot, na, nb float64
		for j := tok * H; j < (tok+1)*H; j++ {
			dot += float64(wv[j]) * float64(gv[j])
			na += float64(wv[j]) * float64(wv[j])
			nb += float64(gv[j]) * float64(gv[j])
		}
		minCos = min(minCos, dot/math.Sqrt(na*nb))
	}
	assert.GreaterOrEqual(t, minCos, 0.995)
	assert.Less(t, minCos, 0.999999, "int8 is not exact: the layer really ran quantized")
}

func TestQuantizeLinearErrors(t *testing.T) {
	needInt8(t)
	w := mk(t, make([]float32, 12), 4, 3)
	q, err := QuantizeLinear(w, nil, 1)
	require.NoError(t, err)
	defer q.Close()
	ints0, err := Arange(0, 12, Int64, CPU)
	require.NoError(t, err)
	defer ints0.Close()
	ints, err := Reshape(ints0, 4, 3)
	require.NoError(t, err)
	defer ints.Close()
	closed := mk(t, []float32{1}, 1)
	closed.Close()
	cases := []struct {
		name string
		run  func() error
		msg  string
	}{
		{"blocks do not divide rows", func() error { _, err := QuantizeLinear(w, nil, 3); return err }, "do not split into 3 blocks"},
		{"zero blocks", func() error { _, err := QuantizeLinear(w, nil, 0); return err }, "blocks"},
		{"1-D weight", func() error { _, err := QuantizeLinear(mk(t, []float32{1, 2}, 2), nil, 1); return err }, "2-D"},
		{"integer weight", func() error { _, err := QuantizeLinear(ints, nil, 1); return err }, "float32"},
		{"bias of the wrong size", func() error { _, err := QuantizeLinear(w, mk(t, []float32{1, 2}, 2), 1); return err }, "bias"},
		{"closed weight", func() error { _, err := QuantizeLinear(closed, nil, 1); return err }, "closed"},
		{"input of the wrong width", func() error { _, err := QuantizedLinear(mk(t, []float32{1, 2}, 1, 2), q); return err }, "does not match"},
		{"plain weight as quantized", func() error { _, err := QuantizedLinear(mk(t, []float32{1, 2, 3}, 1, 3), w); return err }, "not made by QuantizeLinear"},
		{"dequantize a float tensor", func() error { _, err := Dequantize(w); return err }, "not quantized"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
	ok, err := w.IsQuantized()
	require.NoError(t, err)
	assert.False(t, ok)
}

// Quantized handles are counted and freed like every other handle.
func TestQuantizeLinearNoLeak(t *testing.T) {
	needInt8(t)
	w := mk(t, []float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := mk(t, []float32{1, 2}, 2)
	x := mk(t, []float32{1, -1, 0.5}, 1, 3)
	start := LiveTensors()
	for range 50 {
		q, err := QuantizeLinear(w, b, 1)
		require.NoError(t, err)
		y, err := QuantizedLinear(x, q)
		require.NoError(t, err)
		y.Close()
		q.Close()
	}
	assert.Equal(t, start, LiveTensors())
}
