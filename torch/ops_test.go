package torch

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func erf32(x float64) float32 { return float32(math.Erf(x)) }

func gelu(x float64) float32 { return float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2))) }

func geluTanh(x float64) float32 {
	return float32(0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))))
}

func TestUnaryOps(t *testing.T) {
	in := []float32{-2, -0.5, 0, 0.5, 3}
	e := func(f func(float64) float64) []float32 {
		out := make([]float32, len(in))
		for i, x := range in {
			out[i] = float32(f(float64(x)))
		}
		return out
	}
	cases := []struct {
		name string
		op   func(*Tensor) (*Tensor, error)
		want []float32
	}{
		{"neg", Neg, []float32{2, 0.5, 0, -0.5, -3}},
		{"exp", Exp, e(math.Exp)},
		{"abs", Abs, []float32{2, 0.5, 0, 0.5, 3}},
		{"tanh", Tanh, e(math.Tanh)},
		{"sigmoid", Sigmoid, e(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) })},
		{"relu", Relu, []float32{0, 0, 0, 0.5, 3}},
		{"gelu", Gelu, []float32{gelu(-2), gelu(-0.5), 0, gelu(0.5), gelu(3)}},
		{"gelu_tanh", GeluTanh, []float32{geluTanh(-2), geluTanh(-0.5), 0, geluTanh(0.5), geluTanh(3)}},
		{"softplus", Softplus, e(func(x float64) float64 { return math.Log1p(math.Exp(x)) })},
		{"sign", Sign, []float32{-1, -1, 0, 1, 1}},
		{"erf", Erf, []float32{erf32(-2), erf32(-0.5), 0, erf32(0.5), erf32(3)}},
		{"square", Square, []float32{4, 0.25, 0, 0.25, 9}},
		{"clone", Clone, in},
		{"contiguous", Contiguous, in},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := mk(t, in)
			got := vals(t)(c.op(x))
			assertClose(t, c.want, got, 1e-6)
		})
	}
	// Ops defined only on the positive half.
	pos := []float32{0.25, 1, 4}
	for _, c := range []struct {
		name string
		op   func(*Tensor) (*Tensor, error)
		want []float32
	}{
		{"log", Log, []float32{float32(math.Log(0.25)), 0, float32(math.Log(4))}},
		{"sqrt", Sqrt, []float32{0.5, 1, 2}},
		{"rsqrt", Rsqrt, []float32{2, 1, 0.5}},
		{"log1p", Log1p, []float32{float32(math.Log1p(0.25)), float32(math.Log(2)), float32(math.Log(5))}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assertClose(t, c.want, vals(t)(c.op(mk(t, pos))), 1e-6)
		})
	}
}

func TestBinaryAndScalarOps(t *testing.T) {
	a := []float32{1, -2, 3, 4}
	b := []float32{2, 2, -1, 4}
	cases := []struct {
		name string
		op   func(x, y *Tensor) (*Tensor, error)
		want []float32
	}{
		{"add", Add, []float32{3, 0, 2, 8}},
		{"sub", Sub, []float32{-1, -4, 4, 0}},
		{"mul", Mul, []float32{2, -4, -3, 16}},
		{"div", Div, []float32{0.5, -1, -3, 1}},
		{"maximum", Maximum, []float32{2, 2, 3, 4}},
		{"minimum", Minimum, []float32{1, -2, -1, 4}},
		{"eq", Eq, []float32{0, 0, 0, 1}},
		{"ne", Ne, []float32{1, 1, 1, 0}},
		{"lt", Lt, []float32{1, 1, 0, 0}},
		{"le", Le, []float32{1, 1, 0, 1}},
		{"gt", Gt, []float32{0, 0, 1, 0}},
		{"ge", Ge, []float32{0, 0, 1, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertClose(t, c.want, vals(t)(c.op(mk(t, a), mk(t, b))), 1e-6)
		})
	}
	t.Run("pow", func(t *testing.T) {
		assertClose(t, []float32{1, 4, 1.0 / 3, 256}, vals(t)(Pow(mk(t, a), mk(t, b))), 1e-6)
	})
	t.Run("broadcast", func(t *testing.T) {
		x := mk(t, []float32{1, 2, 3, 4, 5, 6}, 2, 3)
		y := mk(t, []float32{10, 20, 30}, 3)
		assertClose(t, []float32{11, 22, 33, 14, 25, 36}, vals(t)(Add(x, y)), 0)
	})
	scal := []struct {
		name string
		op   func(*Tensor, float64) (*Tensor, error)
		s    float64
		want []float32
	}{
		{"add", AddScalar, 1, []float32{2, -1, 4, 5}},
		{"sub", SubScalar, 1, []float32{0, -3, 2, 3}},
		{"mul", MulScalar, -2, []float32{-2, 4, -6, -8}},
		{"div", DivScalar, 2, []float32{0.5, -1, 1.5, 2}},
		{"pow", PowScalar, 2, []float32{1, 4, 9, 16}},
		{"rsub", RsubScalar, 1, []float32{0, 3, -2, -3}},
		{"eq", EqScalar, 3, []float32{0, 0, 1, 0}},
		{"ne", NeScalar, 3, []float32{1, 1, 0, 1}},
		{"lt", LtScalar, 3, []float32{1, 1, 0, 0}},
		{"le", LeScalar, 3, []float32{1, 1, 1, 0}},
		{"gt", GtScalar, 3, []float32{0, 0, 0, 1}},
		{"ge", GeScalar, 3, []float32{0, 0, 1, 1}},
		{"clamp_min", ClampMin, 0, []float32{1, 0, 3, 4}},
		{"clamp_max", ClampMax, 2, []float32{1, -2, 2, 2}},
	}
	for _, c := range scal {
		t.Run("scalar_"+c.name, func(t *testing.T) {
			assertClose(t, c.want, vals(t)(c.op(mk(t, a), c.s)), 1e-6)
		})
	}
}

func TestMatmulAndLinear(t *testing.T) {
	// [2,3] x [3,2] worked by hand.
	a := mk(t, []float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := mk(t, []float32{7, 8, 9, 10, 11, 12}, 3, 2)
	assertClose(t, []float32{58, 64, 139, 154}, vals(t)(Matmul(a, b)), 0)
	// linear: x W^T + b with W [2,3].
	w := mk(t, []float32{1, 0, -1, 0.5, 0.5, 0.5}, 2, 3)
	bias := mk(t, []float32{1, -1}, 2)
	assertClose(t, []float32{-1, 2, -1, 6.5}, vals(t)(Linear(a, w, bias)), 1e-6)
	assertClose(t, []float32{-2, 3, -2, 7.5}, vals(t)(Linear(a, w, nil)), 1e-6)
	// batched matmul [2,1,2] x [2,2,1]
	x := mk(t, []float32{1, 2, 3, 4}, 2, 1, 2)
	y := mk(t, []float32{1, 1, 2, 0}, 2, 2, 1)
	assertClose(t, []float32{3, 6}, vals(t)(Matmul(x, y)), 0)
}

func TestReductions(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6}
	cases := []struct {
		name  string
		op    func(*Tensor, bool, ...int64) (*Tensor, error)
		dims  []int64
		keep  bool
		want  []float32
		shape []int64
	}{
		{"sum all", Sum, nil, false, []float32{21}, []int64{}},
		{"sum dim0", Sum, []int64{0}, false, []float32{5, 7, 9}, []int64{3}},
		{"sum dim1 keep", Sum, []int64{1}, true, []float32{6, 15}, []int64{2, 1}},
		{"mean dim1", Mean, []int64{1}, false, []float32{2, 5}, []int64{2}},
		{"mean all", Mean, nil, false, []float32{3.5}, []int64{}},
		{"amax dim1", Amax, []int64{1}, false, []float32{3, 6}, []int64{2}},
		{"amin dim0", Amin, []int64{0}, false, []float32{1, 2, 3}, []int64{3}},
		{"logsumexp dim1", LogSumExp, []int64{1}, false, []float32{
			float32(math.Log(math.Exp(1) + math.Exp(2) + math.Exp(3))),
			float32(math.Log(math.Exp(4) + math.Exp(5) + math.Exp(6)))}, []int64{2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := c.op(mk(t, x, 2, 3), c.keep, c.dims...)
			require.NoError(t, err)
			shape, err := r.Shape()
			require.NoError(t, err)
			assert.Equal(t, c.shape, shape)
			assertClose(t, c.want, vals(t)(r, nil), 1e-5)
		})
	}
	b, err := FromSlice([]bool{true, false, true, true}, 2, 2)
	require.NoError(t, err)
	defer b.Close()
	assertClose(t, []float32{0}, vals(t)(All(b, false)), 0)
	assertClose(t, []float32{1}, vals(t)(Any(b, false)), 0)
	assertClose(t, []float32{0, 1}, vals(t)(All(b, false, 1)), 0)
}

func TestNNOps(t *testing.T) {
	t.Run("softmax", func(t *testing.T) {
		x := mk(t, []float32{1, 2, 3, 0, 0, 0}, 2, 3)
		z := math.Exp(1) + math.Exp(2) + math.Exp(3)
		want := []float32{float32(math.Exp(1) / z), float32(math.Exp(2) / z), float32(math.Exp(3) / z), 1.0 / 3, 1.0 / 3, 1.0 / 3}
		assertClose(t, want, vals(t)(Softmax(x, 1)), 1e-6)
		lw := make([]float32, len(want))
		for i, v := range want {
			lw[i] = float32(math.Log(float64(v)))
		}
		assertClose(t, lw, vals(t)(LogSoftmax(x, -1)), 1e-5)
	})
	t.Run("layer_norm", func(t *testing.T) {
		x := mk(t, []float32{1, 2, 3, 4}, 1, 4)
		w := mk(t, []float32{1, 1, 2, 2}, 4)
		b := mk(t, []float32{0, 0, 0, 1}, 4)
		// mean 2.5, biased variance 1.25
		sd := math.Sqrt(1.25 + 1e-5)
		want := []float32{float32(-1.5 / sd), float32(-0.5 / sd), float32(2 * 0.5 / sd), float32(2*1.5/sd + 1)}
		assertClose(t, want, vals(t)(LayerNorm(x, w, b, 1e-5)), 1e-5)
	})
	t.Run("embedding", func(t *testing.T) {
		w := mk(t, []float32{0, 0, 1, 1, 2, 2}, 3, 2)
		ids, err := FromSlice([]int64{2, 0, 2}, 3)
		require.NoError(t, err)
		defer ids.Close()
		assertClose(t, []float32{2, 2, 0, 0, 2, 2}, vals(t)(Embedding(w, ids)), 0)
	})
	t.Run("normalize", func(t *testing.T) {
		x := mk(t, []float32{3, 4, 0, 0}, 2, 2)
		assertClose(t, []float32{0.6, 0.8, 0, 0}, vals(t)(Normalize(x, 2, 1, 1e-12)), 1e-6)
	})
	t.Run("cosine", func(t *testing.T) {
		a := mk(t, []float32{1, 0, 1, 1}, 2, 2)
		b := mk(t, []float32{0, 1, 2, 2}, 2, 2)
		assertClose(t, []float32{0, 1}, vals(t)(CosineSimilarity(a, b, 1, 1e-8)), 1e-6)
	})
	t.Run("masked_fill and where", func(t *testing.T) {
		x := mk(t, []float32{1, 2, 3}, 3)
		m, err := FromSlice([]bool{false, true, false})
		require.NoError(t, err)
		defer m.Close()
		assertClose(t, []float32{1, -9, 3}, vals(t)(MaskedFill(x, m, -9)), 0)
		y := mk(t, []float32{7, 8, 9}, 3)
		assertClose(t, []float32{7, 2, 9}, vals(t)(Where(m, x, y)), 0)
	})
	t.Run("dropout", func(t *testing.T) {
		x := mk(t, []float32{1, 1, 1, 1, 1, 1, 1, 1}, 8)
		assertClose(t, []float32{1, 1, 1, 1, 1, 1, 1, 1}, vals(t)(Dropout(x, 0.5, false)), 0)
		require.NoError(t, ManualSeed(1))
		got := vals(t)(Dropout(x, 0.5, true))
		for _, v := range got {
			assert.True(t, v == 0 || v == 2, "dropout keeps 1/(1-p) = 2 or 0, got %v", v)
		}
		assertClose(t, []float32{0, 0, 0, 0, 0, 0, 0, 0}, vals(t)(Dropout(x, 1, true)), 0)
	})
	t.Run("cross_entropy", func(t *testing.T) {
		logits := mk(t, []float32{0, 0, 1, 2}, 2, 2)
		tg, err := FromSlice([]int64{0, 1})
		require.NoError(t, err)
		defer tg.Close()
		want := (math.Log(2) + (-2 + math.Log(math.Exp(1)+math.Exp(2)))) / 2
		assertClose(t, []float32{float32(want)}, vals(t)(CrossEntropy(logits, tg)), 1e-6)
	})
	t.Run("mse", func(t *testing.T) {
		assertClose(t, []float32{2.5}, vals(t)(MSELoss(mk(t, []float32{1, 2}), mk(t, []float32{2, 4}))), 1e-6)
	})
}

func TestShapeOps(t *testing.T) {
	x := mk(t, []float32{0, 1, 2, 3, 4, 5}, 2, 3)
	r, err := Reshape(x, 3, -1)
	require.NoError(t, err)
	s, _ := r.Shape()
	assert.Equal(t, []int64{3, 2}, s)
	r.Close()
	assertClose(t, []float32{0, 3, 1, 4, 2, 5}, vals(t)(Transpose(x, 0, 1)), 0)
	p := mk(t, []float32{0, 1, 2, 3, 4, 5, 6, 7}, 2, 2, 2)
	assertClose(t, []float32{0, 2, 4, 6, 1, 3, 5, 7}, vals(t)(Permute(p, 2, 0, 1)), 0)
	assertClose(t, []float32{1, 2, 4, 5}, vals(t)(Narrow(x, 1, 1, 2)), 0)
	idx, err := FromSlice([]int64{2, 0})
	require.NoError(t, err)
	defer idx.Close()
	assertClose(t, []float32{2, 0, 5, 3}, vals(t)(IndexSelect(x, 1, idx)), 0)
	gi, err := FromSlice([]int64{2, 0}, 2, 1)
	require.NoError(t, err)
	defer gi.Close()
	assertClose(t, []float32{2, 3}, vals(t)(Gather(x, 1, gi)), 0)
	y := mk(t, []float32{9, 9, 9}, 1, 3)
	c, err := Cat([]*Tensor{x, y}, 0)
	require.NoError(t, err)
	cs, _ := c.Shape()
	assert.Equal(t, []int64{3, 3}, cs)
	assertClose(t, []float32{0, 1, 2, 3, 4, 5, 9, 9, 9}, vals(t)(c, nil), 0)
	st, err := Stack([]*Tensor{x, x}, 0)
	require.NoError(t, err)
	ss, _ := st.Shape()
	assert.Equal(t, []int64{2, 2, 3}, ss)
	st.Close()
	u, err := Unsqueeze(x, 1)
	require.NoError(t, err)
	us, _ := u.Shape()
	assert.Equal(t, []int64{2, 1, 3}, us)
	q, err := Squeeze(u, 1)
	require.NoError(t, err)
	qs, _ := q.Shape()
	assert.Equal(t, []int64{2, 3}, qs)
	u.Close()
	q.Close()
	e := mk(t, []float32{1, 2}, 2, 1)
	assertClose(t, []float32{1, 1, 1, 2, 2, 2}, vals(t)(Expand(e, 2, 3)), 0)
	am, err := Argmax(mk(t, []float32{1, 5, 2, 7, 0, 3}, 2, 3), 1, false)
	require.NoError(t, err)
	ai, err := am.Int64s()
	require.NoError(t, err)
	am.Close()
	assert.Equal(t, []int64{1, 0}, ai)
	v, i, err := TopK(mk(t, []float32{1, 5, 2, 7}, 4), 2, 0, true)
	require.NoError(t, err)
	assertClose(t, []float32{7, 5}, vals(t)(v, nil), 0)
	ii, _ := i.Int64s()
	i.Close()
	assert.Equal(t, []int64{3, 1}, ii)
	assertClose(t, []float32{0, 1, 2, 2, 2, 2}, vals(t)(Clamp(x, 0, 2)), 0)
}

func TestDTypesAndCopies(t *testing.T) {
	for _, dt := range []DType{Float32, Float16, BFloat16, Float64, Int64, Int32, Bool, Uint8} {
		t.Run(dt.String(), func(t *testing.T) {
			x := mk(t, []float32{0, 1, 2, 3}, 2, 2)
			y, err := x.To(dt, CPU)
			require.NoError(t, err)
			defer y.Close()
			got, err := y.DType()
			require.NoError(t, err)
			assert.Equal(t, dt, got)
			raw, err := y.Bytes()
			require.NoError(t, err)
			assert.Len(t, raw, 4*dt.Size())
			back := vals(t)(y.To(Float32, CPU))
			want := []float32{0, 1, 2, 3}
			if dt == Bool {
				want = []float32{0, 1, 1, 1}
			}
			assertClose(t, want, back, 0)
		})
	}
	// Half and bfloat16 bytes as safetensors stores them: 1.0 = 0x3C00 (fp16), 0x3F80 (bf16).
	h, err := FromBytes([]byte{0x00, 0x3C, 0x00, 0xC0}, Float16, []int64{2}, CPU)
	require.NoError(t, err)
	assertClose(t, []float32{1, -2}, vals(t)(h, nil), 0)
	b, err := FromBytes([]byte{0x80, 0x3F, 0x40, 0x40}, BFloat16, []int64{2}, CPU)
	require.NoError(t, err)
	assertClose(t, []float32{1, 3}, vals(t)(b, nil), 0)
	i, err := FromSlice([]int64{-5, 1 << 40})
	require.NoError(t, err)
	defer i.Close()
	iv, err := Data[int64](i)
	require.NoError(t, err)
	assert.Equal(t, []int64{-5, 1 << 40}, iv)
	s, err := Scalar(2.5)
	require.NoError(t, err)
	defer s.Close()
	item, err := s.Item()
	require.NoError(t, err)
	assert.Equal(t, 2.5, item)
}

func TestFactories(t *testing.T) {
	z, err := Zeros([]int64{2, 2}, Float32, CPU)
	require.NoError(t, err)
	assertClose(t, []float32{0, 0, 0, 0}, vals(t)(z, nil), 0)
	o, err := Ones([]int64{3}, Float32, CPU)
	require.NoError(t, err)
	assertClose(t, []float32{1, 1, 1}, vals(t)(o, nil), 0)
	f, err := Full([]int64{2}, -3.5, Float32, CPU)
	require.NoError(t, err)
	assertClose(t, []float32{-3.5, -3.5}, vals(t)(f, nil), 0)
	a, err := Arange(2, 5, Int64, CPU)
	require.NoError(t, err)
	av, _ := a.Int64s()
	a.Close()
	assert.Equal(t, []int64{2, 3, 4}, av)
	// Seeded draws repeat; uniform draws stay in [0, 1).
	require.NoError(t, ManualSeed(7))
	r1, err := Randn([]int64{5}, Float32, CPU)
	require.NoError(t, err)
	v1 := vals(t)(r1, nil)
	require.NoError(t, ManualSeed(7))
	r2, err := Randn([]int64{5}, Float32, CPU)
	require.NoError(t, err)
	assert.Equal(t, v1, vals(t)(r2, nil))
	u, err := Rand([]int64{100}, Float32, CPU)
	require.NoError(t, err)
	for _, v := range vals(t)(u, nil) {
		assert.True(t, v >= 0 && v < 1)
	}
	// RNG state round trip: draws after restoring repeat the draws after saving.
	state, err := RNGState()
	require.NoError(t, err)
	d1, err := Randn([]int64{4}, Float32, CPU)
	require.NoError(t, err)
	w1 := vals(t)(d1, nil)
	require.NoError(t, SetRNGState(state))
	d2, err := Randn([]int64{4}, Float32, CPU)
	require.NoError(t, err)
	assert.Equal(t, w1, vals(t)(d2, nil))
}

func TestEncoderLayerMatchesComposedOps(t *testing.T) {
	// The fused layer against the same layer built from single ops in Go, with padding in the batch.
	const B, S, H, heads, I = 2, 3, 4, 2, 6
	require.NoError(t, ManualSeed(3))
	sc := NewScope()
	defer sc.Close()
	rn := func(shape ...int64) *Tensor {
		r := sc.Track(Randn(shape, Float32, CPU))
		return r
	}
	x := rn(B, S, H)
	w := &EncoderLayerWeights{
		QKVWeight: rn(3*H, H), QKVBias: rn(3 * H), OutWeight: rn(H, H), OutBias: rn(H),
		AttnNormWeight: rn(H), AttnNormBias: rn(H), InterWeight: rn(I, H), InterBias: rn(I),
		OutputWeight: rn(H, I), OutputBias: rn(H), OutputNormWeight: rn(H), OutputNormBias: rn(H),
	}
	maskv := []float32{0, 0, 0, 0, 0, -1e9} // second text has a padded last token
	mask := sc.FromSlice(maskv, B, 1, 1, S)
	got := sc.EncoderLayer(x, mask, nil, w, EncoderLayerOptions{Heads: heads, Eps: 1e-12, Activation: ActGELU})

	// By single ops.
	qkv := sc.Linear(x, w.QKVWeight, w.QKVBias)
	split := func(i int64) *Tensor {
		part := sc.Narrow(qkv, 2, i*H, H)
		return sc.Permute(sc.Reshape(part, B, S, heads, H/heads), 0, 2, 1, 3)
	}
	q, k, v := split(0), split(1), split(2)
	scores := sc.DivScalar(sc.Matmul(q, sc.Transpose(k, 2, 3)), math.Sqrt(H/heads))
	probs := sc.Softmax(sc.Add(scores, mask), -1)
	ctx := sc.Reshape(sc.Permute(sc.Matmul(probs, v), 0, 2, 1, 3), B, S, H)
	h := sc.LayerNorm(sc.Add(sc.Linear(ctx, w.OutWeight, w.OutBias), x), w.AttnNormWeight, w.AttnNormBias, 1e-12)
	f := sc.Linear(sc.Gelu(sc.Linear(h, w.InterWeight, w.InterBias)), w.OutputWeight, w.OutputBias)
	want := sc.LayerNorm(sc.Add(f, h), w.OutputNormWeight, w.OutputNormBias, 1e-12)
	require.NoError(t, sc.Err())
	wv, err := want.Float32s()
	require.NoError(t, err)
	gv, err := got.Float32s()
	require.NoError(t, err)
	assertClose(t, wv, gv, 1e-5)
}
