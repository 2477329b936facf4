package model

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/fewshot-go/fewshot/torch"
)

func activationOf(name string) (torch.Activation, error) {
	switch strings.ToLower(name) {
	case "gelu", "gelu_python":
		return torch.ActGELU, nil
	case "gelu_new", "gelu_fast", "gelu_pytorch_tanh":
		return torch.ActGELUTanh, nil
	case "relu":
		return torch.ActReLU, nil
	}
	return 0, fmt.Errorf("hidden activation %q is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)", name)
}

// layerKeys are the checkpoint names of one layer's tensors, in the order q, k, v weight/bias, attention
// output weight/bias, attention LayerNorm weight/bias, intermediate weight/bias, output weight/bias,
// output LayerNorm weight/bias.
func layerKeys(modelType string, i int) [16]string {
	var p string
	var n [8]string
	switch modelType {
	case "distilbert":
		p = fmt.Sprintf("transformer.layer.%d.", i)
		n = [8]string{"attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm"}
	case "mpnet":
		p = fmt.Sprintf("encoder.layer.%d.", i)
		n = [8]string{"attention.attn.q", "attention.attn.k", "attention.attn.v", "attention.attn.o", "attention.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"}
	default: // bert, roberta, xlm-roberta, camembert
		p = fmt.Sprintf("encoder.layer.%d.", i)
		n = [8]string{"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"}
	}
	var out [16]string
	for j, s := range n {
		out[2*j] = p + s + ".weight"
		out[2*j+1] = p + s + ".bias"
	}
	return out
}

// Encoder is a BERT-family transformer (BERT, DistilBERT, RoBERTa/XLM-R/CamemBERT, MPNet) whose layers run
// through torch.EncoderLayer. Query, key and value projections are fused into one matrix per layer.
type Encoder struct {
	Config ArchConfig
	prefix string
	act    torch.Activation
	dev    torch.Device
	dtype  torch.DType

	word, pos, typ *torch.Tensor // typ is nil for models without token types
	embNormW       *torch.Tensor
	embNormB       *torch.Tensor
	layers         []torch.EncoderLayerWeights
	relBias        *torch.Tensor // MPNet's relative_attention_bias [buckets, heads]

	// Packed copies of the layers' linear weights for CPU inference, made when fast is set: on first use
	// for oneDNN, at SetFast for int8 (so that a missing engine is known at load).
	fast        bool
	packing     CPUPacking
	packMu      sync.Mutex
	packed      []torch.EncoderLayerWeights
	packedOwn   []*torch.Tensor
	quantEngine func() (string, bool, error) // torch.QuantizedEngine; tests replace it

	// trainOneDNN routes the linears of forwards on the unpacked weights (training) through oneDNN
	// (torch.OneDNNLinear), on a float32 CPU model where libtorch has oneDNN.
	trainOneDNN bool

	// Unexpected lists checkpoint tensors the encoder does not use (pooler weights, position-id buffers...).
	Unexpected []string
	// Fallback says why the CPU path asked of SetFast is not the one in use, and which is; empty when it is.
	Fallback string
}

// CPUPacking is how the CPU inference path packs the layers' linear weights.
type CPUPacking int

const (
	// PackFloat32 packs them for oneDNN in float32: the plain path's results to 1e-5, several times faster.
	PackFloat32 CPUPacking = iota
	// PackBFloat16 packs them for oneDNN in bfloat16: faster on CPUs with AVX-512 BF16, about three
	// significant digits.
	PackBFloat16
	// PackInt8 quantizes them to int8 once (dynamic quantization, as PyTorch's quantize_dynamic does) and
	// runs them through libtorch's quantized engine, quantizing activations per batch: the fastest, least
	// exact mode.
	PackInt8
	// PackPlain packs nothing: libtorch's default BLAS path, without oneDNN, in inference and training.
	PackPlain
)

// String names the packing as the CLI's --cpu-mode does.
func (p CPUPacking) String() string {
	switch p {
	case PackFloat32:
		return "fast"
	case PackBFloat16:
		return "bf16"
	case PackInt8:
		return "int8"
	case PackPlain:
		return "plain"
	}
	return fmt.Sprintf("packing(%d)", int(p))
}

// ParseCPUMode reads a CPU mode as the CLI's --cpu-mode names it: fast (or ""), plain, bf16 (or
// bfloat16) or int8.
func ParseCPUMode(s string) (CPUPacking, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fast", "":
		return PackFloat32, nil
	case "plain":
		return PackPlain, nil
	case "bf16", "bfloat16":
		return PackBFloat16, nil
	case "int8":
		return PackInt8, nil
	}
	return 0, fmt.Errorf("CPU mode %q: want fast, plain, bf16 or int8", s)
}

// unusedKnown are checkpoint tensors that Hugging Face models carry and sentence embeddings never use.
func unusedKnown(name string) bool {
	return strings.HasPrefix(name, "pooler.") || strings.HasSuffix(name, "position_ids") ||
		strings.HasPrefix(name, "lm_head.") || strings.HasPrefix(name, "cls.") || strings.HasPrefix(name, "vocab_")
}

// newEncoder builds the encoder from a weight set, taking ownership of the tensors it uses.
func newEncoder(cfg ArchConfig, ws *weightSet, dtype torch.DType, dev torch.Device) (enc *Encoder, err error) {
	act, err := activationOf(cfg.HiddenAct)
	if err != nil {
		return nil, err
	}
	e := &Encoder{Config: cfg, act: act, dev: dev, dtype: dtype}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	// Legacy names (LayerNorm.gamma/beta) and a model-name prefix ("bert.", "roberta.") are accepted.
	renamed := map[string]*torch.Tensor{}
	for k, t := range ws.tensors {
		k = strings.Replace(strings.Replace(k, "LayerNorm.gamma", "LayerNorm.weight", 1), "LayerNorm.beta", "LayerNorm.bias", 1)
		renamed[k] = t
	}
	ws.tensors = renamed
	for k := range ws.tensors {
		if strings.HasSuffix(k, "embeddings.word_embeddings.weight") {
			e.prefix = strings.TrimSuffix(k, "embeddings.word_embeddings.weight")
		}
	}
	H, I := int64(cfg.HiddenSize), int64(cfg.IntermediateSize)
	var missing []string
	take := func(name string, shape ...int64) *torch.Tensor {
		t, terr := ws.take(e.prefix+name, shape...)
		if terr != nil {
			if isMissing(terr) {
				missing = append(missing, e.prefix+name)
			} else if err == nil {
				err = terr
			}
			return nil
		}
		return t
	}
	e.word = take("embeddings.word_embeddings.weight", int64(cfg.VocabSize), H)
	e.pos = take("embeddings.position_embeddings.weight", int64(cfg.MaxPositionEmbeddings), H)
	if cfg.TypeVocabSize > 0 {
		e.typ = take("embeddings.token_type_embeddings.weight", int64(cfg.TypeVocabSize), H)
	}
	e.embNormW = take("embeddings.LayerNorm.weight", H)
	e.embNormB = take("embeddings.LayerNorm.bias", H)
	if cfg.ModelType == "mpnet" {
		e.relBias = take("encoder.relative_attention_bias.weight", int64(cfg.RelativeBuckets), int64(cfg.NumAttentionHeads))
	}
	for i := 0; i < cfg.NumHiddenLayers; i++ {
		k := layerKeys(cfg.ModelType, i)
		shapes := [16][]int64{{H, H}, {H}, {H, H}, {H}, {H, H}, {H}, {H, H}, {H}, {H}, {H}, {I, H}, {I}, {H, I}, {H}, {H}, {H}}
		var ts [16]*torch.Tensor
		for j := range k {
			ts[j] = take(k[j], shapes[j]...)
		}
		if err != nil || len(missing) > 0 {
			for _, t := range ts {
				t.Close()
			}
			continue
		}
		qkvW, cerr := torch.Cat([]*torch.Tensor{ts[0], ts[2], ts[4]}, 0)
		qkvB, cerr2 := torch.Cat([]*torch.Tensor{ts[1], ts[3], ts[5]}, 0)
		for _, t := range ts[:6] {
			t.Close()
		}
		if cerr != nil || cerr2 != nil {
			qkvW.Close()
			qkvB.Close()
			return nil, fmt.Errorf("%s: fuse layer %d: %v %v", ws.path, i, cerr, cerr2)
		}
		e.layers = append(e.layers, torch.EncoderLayerWeights{
			QKVWeight: qkvW, QKVBias: qkvB, OutWeight: ts[6], OutBias: ts[7],
			AttnNormWeight: ts[8], AttnNormBias: ts[9], InterWeight: ts[10], InterBias: ts[11],
			OutputWeight: ts[12], OutputBias: ts[13], OutputNormWeight: ts[14], OutputNormBias: ts[15],
		})
	}
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		more := ""
		if len(missing) > 8 {
			more = fmt.Sprintf(" and %d more", len(missing)-8)
			missing = missing[:8]
		}
		return nil, fmt.Errorf("%s: %s checkpoint is missing %s%s", ws.path, cfg.ModelType, strings.Join(missing, ", "), more)
	}
	for k := range ws.tensors {
		if !unusedKnown(strings.TrimPrefix(k, e.prefix)) {
			e.Unexpected = append(e.Unexpected, k)
		}
	}
	sort.Strings(e.Unexpected)
	return e, nil
}

// SetFast turns the packed CPU inference path on or off. It takes effect only on the CPU in float32 with
// a libtorch that can run the packing (oneDNN for PackFloat32 and PackBFloat16, a quantized engine for
// PackInt8); turning it off frees the packed copies. PackInt8 quantizes the weights now; where this CPU or
// libtorch cannot (no engine, no AVX2), it falls back to PackFloat32 (or the plain path without oneDNN)
// and says so in Fallback.
//
// PackPlain, like on false, turns the packed path off.
func (e *Encoder) SetFast(on bool, packing CPUPacking) {
	if packing == PackPlain {
		on, packing = false, PackFloat32
	}
	e.packMu.Lock()
	defer e.packMu.Unlock()
	e.dropPackedLocked()
	e.Fallback = ""
	e.packing = packing
	usable := on && e.dev == torch.CPU && e.dtype == torch.Float32
	if usable && packing == PackInt8 {
		err := e.packInt8Locked()
		if err == nil {
			e.fast = true
			return
		}
		e.packing = PackFloat32
		next := "the float32 oneDNN path"
		if !torch.MKLDNNAvailable() {
			next = "the plain path"
		}
		e.Fallback = fmt.Sprintf("int8 CPU mode unavailable, using %s: %v", next, err)
	}
	e.fast = usable && torch.MKLDNNAvailable()
}

// SetTrainOneDNN turns on (where usable: float32 on the CPU, libtorch with oneDNN) or off the oneDNN
// linears of training forwards and backwards; results equal the plain path's to float rounding.
func (e *Encoder) SetTrainOneDNN(on bool) {
	e.packMu.Lock()
	defer e.packMu.Unlock()
	e.trainOneDNN = on && e.dev == torch.CPU && e.dtype == torch.Float32 && torch.MKLDNNAvailable()
}

// TrainOneDNN reports whether training forwards run their linears through oneDNN.
func (e *Encoder) TrainOneDNN() bool {
	e.packMu.Lock()
	defer e.packMu.Unlock()
	return e.trainOneDNN
}

// Fast reports whether inference uses a packed path (oneDNN or int8).
func (e *Encoder) Fast() bool {
	e.packMu.Lock()
	defer e.packMu.Unlock()
	return e.fast
}

// Packing reports how the packed path packs the linear weights (meaningful when Fast is true).
func (e *Encoder) Packing() CPUPacking {
	e.packMu.Lock()
	defer e.packMu.Unlock()
	return e.packing
}

func (e *Encoder) dropPackedLocked() {
	for _, t := range e.packedOwn {
		t.Close()
	}
	e.packed, e.packedOwn = nil, nil
}

// packLayersLocked makes the packed copies: pack is given each linear's weight and bias and the number of
// row blocks of the weight (3 for the fused query/key/value matrix), and returns the weight and bias to
// use and the new tensors it made.
func (e *Encoder) packLayersLocked(pack func(w, b *torch.Tensor, blocks int) (pw, pb *torch.Tensor, made []*torch.Tensor, err error)) error {
	var own []*torch.Tensor
	packed := make([]torch.EncoderLayerWeights, len(e.layers))
	for i, l := range e.layers {
		p := l
		for _, s := range []struct {
			w, b   **torch.Tensor
			blocks int
		}{{&p.QKVWeight, &p.QKVBias, 3}, {&p.OutWeight, &p.OutBias, 1}, {&p.InterWeight, &p.InterBias, 1}, {&p.OutputWeight, &p.OutputBias, 1}} {
			pw, pb, made, err := pack(*s.w, *s.b, s.blocks)
			own = append(own, made...)
			if err != nil {
				for _, t := range own {
					t.Close()
				}
				return fmt.Errorf("layer %d: %w", i, err)
			}
			*s.w, *s.b = pw, pb
		}
		packed[i] = p
	}
	e.packed, e.packedOwn = packed, own
	return nil
}

// packInt8Locked quantizes every layer's linear weights for the quantized engine.
func (e *Encoder) packInt8Locked() error {
	engine := e.quantEngine
	if engine == nil {
		engine = torch.QuantizedEngine
	}
	if _, _, err := engine(); err != nil {
		return err
	}
	err := e.packLayersLocked(func(w, b *torch.Tensor, blocks int) (*torch.Tensor, *torch.Tensor, []*torch.Tensor, error) {
		q, err := torch.QuantizeLinear(w, b, blocks)
		if err != nil {
			return nil, nil, nil, err
		}
		return q, b, []*torch.Tensor{q}, nil // the bias is packed inside q; its slot keeps the float one
	})
	if err != nil {
		return fmt.Errorf("quantize to int8: %w", err)
	}
	return nil
}

// inferenceLayers returns the weights inference should use: the packed copies when the fast path is on
// (packing them for oneDNN on first use), else the plain weights.
func (e *Encoder) inferenceLayers() ([]torch.EncoderLayerWeights, error) {
	e.packMu.Lock()
	defer e.packMu.Unlock()
	if !e.fast {
		return e.layers, nil
	}
	if e.packed != nil {
		return e.packed, nil
	}
	dtype := torch.Float32
	if e.packing == PackBFloat16 {
		dtype = torch.BFloat16
	}
	if dtype == torch.Float32 && torch.PackedLinearAvailable() {
		// oneDNN's matmul straight on the tensors' buffers, weights reordered once, the bias, activation
		// and residual fused; the bias stays the plain tensor.
		err := e.packLayersLocked(func(w, b *torch.Tensor, _ int) (*torch.Tensor, *torch.Tensor, []*torch.Tensor, error) {
			pw, err := torch.PackLinear(w)
			if err != nil {
				return nil, nil, nil, err
			}
			return pw, b, []*torch.Tensor{pw}, nil
		})
		if err != nil {
			return nil, fmt.Errorf("pack for oneDNN: %w", err)
		}
		return e.packed, nil
	}
	one := func(t *torch.Tensor) (*torch.Tensor, error) {
		if dtype != torch.Float32 {
			c, err := t.To(dtype, torch.CPU)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			t = c
		}
		return torch.ToMKLDNN(t)
	}
	err := e.packLayersLocked(func(w, b *torch.Tensor, _ int) (*torch.Tensor, *torch.Tensor, []*torch.Tensor, error) {
		pw, err := one(w)
		if err != nil {
			return nil, nil, nil, err
		}
		pb, err := one(b)
		if err != nil {
			return nil, nil, []*torch.Tensor{pw}, err
		}
		return pw, pb, []*torch.Tensor{pw, pb}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pack for oneDNN: %w", err)
	}
	return e.packed, nil
}

// Close frees the encoder's weights.
func (e *Encoder) Close() {
	e.packMu.Lock()
	e.dropPackedLocked()
	e.packMu.Unlock()
	for _, t := range []*torch.Tensor{e.word, e.pos, e.typ, e.embNormW, e.embNormB, e.relBias} {
		t.Close()
	}
	for i := range e.layers {
		for _, t := range e.layers[i].Tensors() {
			t.Close()
		}
	}
	e.layers = nil
}

// Batch is a padded batch of token ids (row-major, Size x SeqLen).
type Batch struct {
	IDs, TypeIDs, Mask []int64
	Size, SeqLen       int
}

// positionIDs follows Hugging Face: 0.. for BERT and DistilBERT; for RoBERTa-style models and MPNet,
// padding_idx+1 counting only non-padding tokens, and padding_idx at padding.
func (e *Encoder) positionIDs(b Batch) []int64 {
	out := make([]int64, len(b.IDs))
	off := e.Config.positionOffset()
	pad := int64(e.Config.PadTokenID)
	for r := 0; r < b.Size; r++ {
		n := 0
		for c := 0; c < b.SeqLen; c++ {
			i := r*b.SeqLen + c
			if off == 0 {
				out[i] = int64(c)
				continue
			}
			if b.IDs[i] != pad {
				n++
				out[i] = int64(n) + pad
			} else {
				out[i] = pad
			}
		}
	}
	return out
}

// relativeBucket is MPNet's bidirectional relative-position bucket (T5's scheme, max distance 128) for
// relative position key - query.
func relativeBucket(rel, numBuckets int) int64 {
	const maxDistance = 128
	n := -rel
	nb := numBuckets / 2
	ret := 0
	if n < 0 {
		ret += nb
		n = -n
	}
	maxExact := nb / 2
	if n < maxExact {
		return int64(ret + n)
	}
	v := maxExact + int(math.Log(float64(n)/float64(maxExact))/math.Log(float64(maxDistance)/float64(maxExact))*float64(nb-maxExact))
	if v > nb-1 {
		v = nb - 1
	}
	return int64(ret + v)
}

// Forward runs the embeddings and every layer, returning the last hidden state [Size, SeqLen, H]. The
// caller owns the result. With train set, dropout is active (and autograd records, unless the caller
// disabled it).
func (e *Encoder) Forward(b Batch, train bool) (*torch.Tensor, error) {
	if b.Size*b.SeqLen != len(b.IDs) || len(b.Mask) != len(b.IDs) || (b.TypeIDs != nil && len(b.TypeIDs) != len(b.IDs)) {
		return nil, fmt.Errorf("encoder: batch of %d x %d does not match %d ids / %d mask values", b.Size, b.SeqLen, len(b.IDs), len(b.Mask))
	}
	if b.SeqLen > e.Config.MaxPositionEmbeddings-e.Config.positionOffset() {
		return nil, fmt.Errorf("encoder: sequence of %d tokens exceeds the model's %d positions", b.SeqLen, e.Config.MaxPositionEmbeddings-e.Config.positionOffset())
	}
	s := torch.NewScope()
	defer s.Close()
	B, S := int64(b.Size), int64(b.SeqLen)
	onDev := func(v []int64) *torch.Tensor {
		return s.Track(torch.FromSliceOn(e.dev, v, B, S))
	}
	ids := onDev(b.IDs)
	x := s.Add(s.Embedding(e.word, ids), s.Embedding(e.pos, onDev(e.positionIDs(b))))
	if e.typ != nil {
		types := b.TypeIDs
		if types == nil {
			types = make([]int64, len(b.IDs))
		}
		x = s.Add(x, s.Embedding(e.typ, onDev(types)))
	}
	x = s.LayerNorm(x, e.embNormW, e.embNormB, e.Config.LayerNormEps)
	dropout := e.Config.HiddenDropoutProb
	if train && dropout > 0 {
		x = s.Dropout(x, dropout, true)
	}
	// Additive attention mask [B, 1, 1, S]: 0 on tokens, the dtype's lowest value on padding.
	maskF := make([]float32, len(b.Mask))
	low := float32(-math.MaxFloat32)
	if e.dtype == torch.Float16 {
		low = -65504
	}
	for i, m := range b.Mask {
		if m == 0 {
			maskF[i] = low
		}
	}
	mask := s.To(s.Track(torch.FromSlice(maskF, B, 1, 1, S)), e.dtype, e.dev)
	var posBias *torch.Tensor
	if e.relBias != nil {
		buckets := make([]int64, S*S)
		for q := int64(0); q < S; q++ {
			for k := int64(0); k < S; k++ {
				buckets[q*S+k] = relativeBucket(int(k-q), e.Config.RelativeBuckets)
			}
		}
		bt := s.Track(torch.FromSliceOn(e.dev, buckets, S, S))
		posBias = s.Unsqueeze(s.Permute(s.Embedding(e.relBias, bt), 2, 0, 1), 0) // [1, heads, S, S]
	}
	opt := torch.EncoderLayerOptions{Heads: e.Config.NumAttentionHeads, Eps: e.Config.LayerNormEps, Activation: e.act, Train: train}
	if train {
		opt.Dropout = dropout
	}
	layers := e.layers
	if !train {
		var err error
		if layers, err = e.inferenceLayers(); err != nil {
			return nil, err
		}
	}
	opt.OneDNN = e.TrainOneDNN()
	for i := range layers {
		x = s.EncoderLayer(x, mask, posBias, &layers[i], opt)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("encoder forward: %w", err)
	}
	return s.Keep(x), nil
}
