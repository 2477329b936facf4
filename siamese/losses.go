package siamese

import (
	"fmt"
	"math"
	"strings"

	"github.com/fewshot-go/fewshot/torch"
)

// The losses below follow sentence-transformers (sentence_transformers/losses): the same distances,
// masks, reductions and defaults, so a model trained here with a loss learns what the same loss teaches
// there. They are composed from the torch package's small op set; where ST selects elements by boolean
// indexing, these multiply or fill with masks, which gives the same values and gradients.

// Default loss hyper-parameters, as sentence-transformers' constructors set them.
const (
	DefaultContrastiveMargin = 0.5  // ContrastiveLoss and OnlineContrastiveLoss (cosine distance)
	DefaultTripletMargin     = 5.0  // TripletLoss and the Batch*TripletLoss family (Euclidean distance)
	DefaultScale             = 20.0 // MultipleNegativesRankingLoss and CoSENTLoss (1 / temperature)
)

// cosineEps is torch.nn.functional.cosine_similarity's default eps; normEps is F.normalize's.
const (
	cosineEps = 1e-8
	normEps   = 1e-12
)

// LossOptions override a loss's defaults; a zero field keeps the default. Setting a field the loss does
// not have (a margin for "mnrl", a scale for "triplet") is an error, so a flag is never silently ignored.
type LossOptions struct {
	Margin float64 // contrastive, online-contrastive, triplet, batch-hard, batch-semi-hard, batch-all
	Scale  float64 // mnrl, cosent
}

// lossSpec describes one registered loss: which options it has, their defaults, and the batch order
// it needs when it does not take class labels (empty: plain shuffling).
type lossSpec struct {
	name, help          string
	margin, scale       bool
	defMargin, defScale float64
	order               BatchOrder
	make                func(o LossOptions) Loss
}

// lossSpecs is the registry, in the order LossNames lists it (a function, so nothing can change it).
func lossSpecs() []lossSpec {
	return []lossSpec{
		{name: "cosine", help: "CosineSimilarityLoss: MSE between cos(u, v) and a score in [0, 1] (pairs + score)",
			make: func(LossOptions) Loss { return CosineSimilarityLoss{} }},
		{name: "contrastive", help: "ContrastiveLoss: cosine distance, margin 0.5 (pairs + 0/1 label)", margin: true, defMargin: DefaultContrastiveMargin,
			make: func(o LossOptions) Loss { return ContrastiveLoss{Margin: o.Margin} }},
		{name: "online-contrastive", help: "OnlineContrastiveLoss: contrastive on the hard pairs of the batch (pairs + 0/1 label)", margin: true, defMargin: DefaultContrastiveMargin,
			make: func(o LossOptions) Loss { return OnlineContrastiveLoss{Margin: o.Margin} }},
		{name: "mnrl", help: "MultipleNegativesRankingLoss: in-batch negatives, scale 20 (anchor, positive[, negative])", scale: true, defScale: DefaultScale,
			order: OrderNoDuplicates, make: func(o LossOptions) Loss { return MultipleNegativesRankingLoss{Scale: o.Scale} }},
		{name: "triplet", help: "TripletLoss: Euclidean, margin 5 (anchor, positive, negative)", margin: true, defMargin: DefaultTripletMargin,
			make: func(o LossOptions) Loss { return TripletLoss{Margin: o.Margin} }},
		{name: "batch-hard", help: "BatchHardTripletLoss: hardest positive and negative per anchor (text + class)", margin: true, defMargin: DefaultTripletMargin,
			make: func(o LossOptions) Loss { return BatchHardTripletLoss{Margin: o.Margin} }},
		{name: "batch-semi-hard", help: "BatchSemiHardTripletLoss: semi-hard negatives, FaceNet style (text + class)", margin: true, defMargin: DefaultTripletMargin,
			make: func(o LossOptions) Loss { return BatchSemiHardTripletLoss{Margin: o.Margin} }},
		{name: "batch-all", help: "BatchAllTripletLoss: every valid triplet, averaged over the active ones (text + class)", margin: true, defMargin: DefaultTripletMargin,
			make: func(o LossOptions) Loss { return BatchAllTripletLoss{Margin: o.Margin} }},
		{name: "cosent", help: "CoSENTLoss: ranks the pairs of the batch by score, scale 20 (pairs + score)", scale: true, defScale: DefaultScale,
			make: func(o LossOptions) Loss { return CoSENTLoss{Scale: o.Scale} }},
	}
}

// LossNames lists the loss names LossByName accepts, in a fixed order.
func LossNames() []string {
	specs := lossSpecs()
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.name
	}
	return out
}

// LossHelp is one line per loss (name, what it is, what data it takes), for CLI help text.
func LossHelp() string {
	var b strings.Builder
	for _, s := range lossSpecs() {
		fmt.Fprintf(&b, "  %-19s %s\n", s.name, s.help)
	}
	return b.String()
}

// LossByName returns the loss the CLI calls name (see LossNames), with opts overriding its defaults.
func LossByName(name string, opts LossOptions) (Loss, error) {
	for _, s := range lossSpecs() {
		if s.name != name {
			continue
		}
		if err := checkOption("margin", opts.Margin, s.margin, name); err != nil {
			return nil, err
		}
		if err := checkOption("scale", opts.Scale, s.scale, name); err != nil {
			return nil, err
		}
		if opts.Margin == 0 {
			opts.Margin = s.defMargin
		}
		if opts.Scale == 0 {
			opts.Scale = s.defScale
		}
		return s.make(opts), nil
	}
	return nil, fmt.Errorf("unknown loss %q (valid: %s)", name, strings.Join(LossNames(), ", "))
}

func checkOption(what string, v float64, has bool, loss string) error {
	if v == 0 {
		return nil
	}
	if !has {
		return fmt.Errorf("loss %s has no %s (got %s %g)", loss, what, what, v)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return fmt.Errorf("loss %s: %s must be a positive finite number, got %g", loss, what, v)
	}
	return nil
}

// batchInfo is what every loss needs to know about its inputs.
type batchInfo struct {
	rows  int64
	dtype torch.DType
	dev   torch.Device
	// labels are on the embeddings' device: scores in the embeddings' dtype, classes as int64; nil for
	// LabelsNone.
	labels *torch.Tensor
}

// prepare checks the embeddings and labels against what l accepts and records a clear error in s when
// they do not fit. It returns ok=false when the loss must not run (also when s already failed). The
// labels it returns are moved to the embeddings' device (the trainer may build them on the CPU).
func prepare(s *torch.Scope, l Loss, emb []*torch.Tensor, labels *torch.Tensor) (batchInfo, bool) {
	var bi batchInfo
	if s.Err() != nil {
		return bi, false
	}
	fail := func(format string, args ...any) (batchInfo, bool) {
		s.Fail(fmt.Errorf("loss %s: "+format, append([]any{l.Name()}, args...)...))
		return bi, false
	}
	lo, hi := l.Columns()
	if len(emb) < lo || len(emb) > hi {
		if lo == hi {
			return fail("needs %d text column(s), got %d", lo, len(emb))
		}
		return fail("needs %d to %d text columns, got %d", lo, hi, len(emb))
	}
	var dim int64
	for i, e := range emb {
		sh, err := e.Shape()
		if err != nil {
			return fail("embeddings of column %d: %v", i, err)
		}
		if len(sh) != 2 {
			return fail("embeddings of column %d must be [batch, dim], got shape %v", i, sh)
		}
		if i == 0 {
			bi.rows, dim = sh[0], sh[1]
			if bi.rows == 0 {
				return fail("empty batch")
			}
			if bi.dtype, err = e.DType(); err != nil {
				return fail("embeddings of column 0: %v", err)
			}
			if !bi.dtype.IsFloat() {
				return fail("embeddings must be floating point, got %s", bi.dtype)
			}
			if bi.dev, err = e.Device(); err != nil {
				return fail("embeddings of column 0: %v", err)
			}
			continue
		}
		if sh[0] != bi.rows || sh[1] != dim {
			return fail("column %d has shape %v, column 0 has [%d %d]", i, sh, bi.rows, dim)
		}
	}
	kind := l.Labels()
	if kind == LabelsNone {
		return bi, true
	}
	want := "a float score"
	if kind == LabelsClass {
		want = "an int64 class id"
	}
	if labels == nil {
		return fail("needs labels (%s per row), got none", want)
	}
	sh, err := labels.Shape()
	if err != nil {
		return fail("labels: %v", err)
	}
	if len(sh) != 1 || sh[0] != bi.rows {
		return fail("labels must have shape [%d] (one per row), got %v", bi.rows, sh)
	}
	dt, err := labels.DType()
	if err != nil {
		return fail("labels: %v", err)
	}
	if kind == LabelsClass && dt.IsFloat() {
		return fail("labels must be integer class ids, got %s", dt)
	}
	if kind == LabelsScore && !dt.IsFloat() {
		return fail("labels must be floating-point scores, got %s", dt)
	}
	if kind == LabelsClass {
		bi.labels = s.To(labels, torch.Int64, bi.dev)
	} else {
		bi.labels = s.To(labels, bi.dtype, bi.dev)
	}
	return bi, bi.labels != nil
}

// float turns a bool (or any) tensor into the embeddings' dtype.
func (bi batchInfo) float(s *torch.Scope, t *torch.Tensor) *torch.Tensor {
	return s.To(t, bi.dtype, bi.dev)
}

// cosineDistance is 1 - cos(a, b) per row, with F.cosine_similarity's eps.
func cosineDistance(s *torch.Scope, a, b *torch.Tensor) *torch.Tensor {
	return s.RsubScalar(s.CosineSimilarity(a, b, 1, cosineEps), 1)
}

// contrastiveTerms are the per-pair terms of ContrastiveLoss and OnlineContrastiveLoss, with the cosine
// distance d = 1 - cos(u, v) of the pair's two embeddings: d^2 for a similar pair, relu(margin - d)^2
// for a dissimilar one (margin 0: DefaultContrastiveMargin).
func contrastiveTerms(s *torch.Scope, emb []*torch.Tensor, margin float64) (d, similar, dissimilar *torch.Tensor) {
	m := orDefault(margin, DefaultContrastiveMargin)
	d = cosineDistance(s, emb[0], emb[1])
	return d, s.Square(d), s.Square(s.Relu(s.RsubScalar(d, m)))
}

// CosineSimilarityLoss is sentence-transformers' CosineSimilarityLoss: the mean squared error between
// cos(u, v) and the pair's score. It is SetFit's default loss.
type CosineSimilarityLoss struct{}

// Name implements Loss.
func (CosineSimilarityLoss) Name() string { return "cosine" }

// Columns implements Loss: a pair.
func (CosineSimilarityLoss) Columns() (int, int) { return 2, 2 }

// Labels implements Loss: a similarity score per pair.
func (CosineSimilarityLoss) Labels() LabelKind { return LabelsScore }

// Forward implements Loss.
func (l CosineSimilarityLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	bi, ok := prepare(s, l, emb, labels)
	if !ok {
		return nil
	}
	return s.MSELoss(s.CosineSimilarity(emb[0], emb[1], 1, cosineEps), bi.labels)
}

// ContrastiveLoss is sentence-transformers' ContrastiveLoss with its default cosine distance d = 1 - cos:
// the mean over pairs of 0.5 * (y d^2 + (1 - y) relu(Margin - d)^2), y being 1 for similar pairs and 0
// for dissimilar ones. Margin 0 means DefaultContrastiveMargin.
type ContrastiveLoss struct{ Margin float64 }

// Name implements Loss.
func (ContrastiveLoss) Name() string { return "contrastive" }

// Columns implements Loss: a pair.
func (ContrastiveLoss) Columns() (int, int) { return 2, 2 }

// Labels implements Loss: 1 for a similar pair, 0 for a dissimilar one.
func (ContrastiveLoss) Labels() LabelKind { return LabelsScore }

// Forward implements Loss.
func (l ContrastiveLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	bi, ok := prepare(s, l, emb, labels)
	if !ok {
		return nil
	}
	y := bi.labels
	_, similar, dissimilar := contrastiveTerms(s, emb, l.Margin)
	pos := s.Mul(y, similar)
	neg := s.Mul(s.RsubScalar(y, 1), dissimilar)
	return s.Mean(s.MulScalar(s.Add(pos, neg), 0.5), false)
}

// OnlineContrastiveLoss is sentence-transformers' OnlineContrastiveLoss: the contrastive terms, summed,
// over the hard pairs of the batch only. With d = 1 - cos, a positive (label 1) is hard when its distance
// exceeds the smallest negative distance, a negative (label 0) when its distance is below the largest
// positive distance. When a kind has at most one pair, the other kind is compared with its own mean
// instead, as ST does. Pairs labelled neither 0 nor 1 are ignored. Margin 0 means
// DefaultContrastiveMargin.
type OnlineContrastiveLoss struct{ Margin float64 }

// Name implements Loss.
func (OnlineContrastiveLoss) Name() string { return "online-contrastive" }

// Columns implements Loss: a pair.
func (OnlineContrastiveLoss) Columns() (int, int) { return 2, 2 }

// Labels implements Loss: 1 for a similar pair, 0 for a dissimilar one.
func (OnlineContrastiveLoss) Labels() LabelKind { return LabelsScore }

// Forward implements Loss.
func (l OnlineContrastiveLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	bi, ok := prepare(s, l, emb, labels)
	if !ok {
		return nil
	}
	d, similar, dissimilar := contrastiveTerms(s, emb, l.Margin)
	isPos := s.EqScalar(bi.labels, 1)
	isNeg := s.EqScalar(bi.labels, 0)
	nPos := s.Sum(bi.float(s, isPos), false)
	nNeg := s.Sum(bi.float(s, isNeg), false)
	// The cut-offs only select pairs; like ST's boolean indexing, no gradient flows through them.
	dd := s.Detach(d)
	maxPos := s.Amax(s.MaskedFill(dd, s.LogicalNot(isPos), math.Inf(-1)), false)
	minNeg := s.Amin(s.MaskedFill(dd, s.LogicalNot(isNeg), math.Inf(1)), false)
	meanPos := s.Div(s.Sum(s.MaskedFill(dd, s.LogicalNot(isPos), 0), false), nPos) // NaN when empty, as in ST
	meanNeg := s.Div(s.Sum(s.MaskedFill(dd, s.LogicalNot(isNeg), 0), false), nNeg)
	negCut := s.Where(s.GtScalar(nPos, 1), maxPos, meanNeg)
	posCut := s.Where(s.GtScalar(nNeg, 1), minNeg, meanPos)
	hardPos := s.LogicalAnd(isPos, s.Gt(d, posCut))
	hardNeg := s.LogicalAnd(isNeg, s.Lt(d, negCut))
	posLoss := s.Sum(s.MaskedFill(similar, s.LogicalNot(hardPos), 0), false)
	negLoss := s.Sum(s.MaskedFill(dissimilar, s.LogicalNot(hardNeg), 0), false)
	return s.Add(posLoss, negLoss)
}

// MultipleNegativesRankingLoss is sentence-transformers' MultipleNegativesRankingLoss (InfoNCE with
// in-batch negatives) in its default form: each anchor's cosine similarity to every positive of the
// batch (and every hard negative, from the third column on), times Scale, under cross-entropy with its
// own positive as the target. Scale 0 means DefaultScale.
type MultipleNegativesRankingLoss struct{ Scale float64 }

// Name implements Loss.
func (MultipleNegativesRankingLoss) Name() string { return "mnrl" }

// Columns implements Loss: anchor, positive and optional hard negatives.
func (MultipleNegativesRankingLoss) Columns() (int, int) { return 2, 8 }

// Labels implements Loss: none.
func (MultipleNegativesRankingLoss) Labels() LabelKind { return LabelsNone }

// Forward implements Loss.
func (l MultipleNegativesRankingLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	bi, ok := prepare(s, l, emb, labels)
	if !ok {
		return nil
	}
	scale := orDefault(l.Scale, DefaultScale)
	q := s.Normalize(emb[0], 2, 1, normEps)
	docs := s.Normalize(s.Cat(emb[1:], 0), 2, 1, normEps)
	scores := s.MulScalar(s.Matmul(q, s.Transpose(docs, 0, 1)), scale)
	return s.CrossEntropy(scores, s.Arange(0, bi.rows, torch.Int64, bi.dev))
}

// TripletLoss is sentence-transformers' TripletLoss with its default Euclidean distance: the mean of
// relu(|a - p| - |a - n| + Margin). Margin 0 means DefaultTripletMargin.
type TripletLoss struct{ Margin float64 }

// Name implements Loss.
func (TripletLoss) Name() string { return "triplet" }

// Columns implements Loss: anchor, positive, negative.
func (TripletLoss) Columns() (int, int) { return 3, 3 }

// Labels implements Loss: none.
func (TripletLoss) Labels() LabelKind { return LabelsNone }

// Forward implements Loss.
func (l TripletLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	if _, ok := prepare(s, l, emb, labels); !ok {
		return nil
	}
	m := orDefault(l.Margin, DefaultTripletMargin)
	// ST's pairwise_euclidean_sim: sqrt(sum((a-b)^2)), with no epsilon.
	dist := func(a, b *torch.Tensor) *torch.Tensor {
		return s.Sqrt(s.Sum(s.Square(s.Sub(a, b)), false, 1))
	}
	return s.Mean(s.Relu(s.AddScalar(s.Sub(dist(emb[0], emb[1]), dist(emb[0], emb[2])), m)), false)
}

// pairwiseEuclidean is ST's batch-triplet distance matrix [B, B]: |x|^2 - 2 x.y + |y|^2 from one matrix
// product, negatives set to 0, and sqrt taken only off the zeros (which keeps the gradient finite on the
// diagonal). The squared norms are the product's diagonal, so the diagonal is exactly zero.
func pairwiseEuclidean(s *torch.Scope, e, eye *torch.Tensor, bi batchInfo) *torch.Tensor {
	dot := s.Matmul(e, s.Transpose(e, 0, 1))
	sq := s.Sum(s.Mul(dot, bi.float(s, eye)), false, 1) // diag(dot), exactly
	d := s.Add(s.Sub(s.Unsqueeze(sq, 0), s.MulScalar(dot, 2)), s.Unsqueeze(sq, 1))
	d = s.MaskedFill(d, s.LtScalar(d, 0), 0)
	zero := bi.float(s, s.EqScalar(d, 0))
	d = s.Add(d, s.MulScalar(zero, 1e-16))
	return s.Mul(s.RsubScalar(zero, 1), s.Sqrt(d))
}

// classBatch is what the batch triplet losses start from: a checked batch of class-labelled texts,
// their distance matrix and which pairs of them are positives and negatives.
type classBatch struct {
	batchInfo
	margin float64
	d      *torch.Tensor // [B, B] Euclidean distances (pairwiseEuclidean)
	same   *torch.Tensor // [B, B] bool: i and j have one class (i == j included)
	pos    *torch.Tensor // [B, B] bool: same, i != j (j is a positive of anchor i)
	neg    *torch.Tensor // [B, B] bool: not same (j is a negative of anchor i)
}

// prepareClassBatch is prepare for the batch triplet losses; margin 0 means DefaultTripletMargin.
func prepareClassBatch(s *torch.Scope, l Loss, margin float64, emb []*torch.Tensor, labels *torch.Tensor) (classBatch, bool) {
	bi, ok := prepare(s, l, emb, labels)
	if !ok {
		return classBatch{}, false
	}
	b := classBatch{batchInfo: bi, margin: orDefault(margin, DefaultTripletMargin)}
	b.same = s.Eq(s.Unsqueeze(bi.labels, 1), s.Unsqueeze(bi.labels, 0))
	idx := s.Arange(0, bi.rows, torch.Int64, bi.dev)
	eye := s.Eq(s.Unsqueeze(idx, 1), s.Unsqueeze(idx, 0)) // i == j
	b.pos = s.LogicalAnd(b.same, s.LogicalNot(eye))
	b.neg = s.LogicalNot(b.same)
	b.d = pairwiseEuclidean(s, emb[0], eye, bi)
	return b, true
}

// BatchHardTripletLoss is sentence-transformers' BatchHardTripletLoss on (text, class) batches: for each
// anchor, relu(largest distance to a same-class text - smallest distance to another-class text +
// Margin), averaged over anchors, with ST's Euclidean distance matrix. Margin 0 means
// DefaultTripletMargin. Batches should hold several texts per class (GroupByLabelBatches).
type BatchHardTripletLoss struct{ Margin float64 }

// Name implements Loss.
func (BatchHardTripletLoss) Name() string { return "batch-hard" }

// Columns implements Loss: one text column.
func (BatchHardTripletLoss) Columns() (int, int) { return 1, 1 }

// Labels implements Loss: a class id per text.
func (BatchHardTripletLoss) Labels() LabelKind { return LabelsClass }

// Forward implements Loss.
func (l BatchHardTripletLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	b, ok := prepareClassBatch(s, l, l.Margin, emb, labels)
	if !ok {
		return nil
	}
	d := b.d
	hardestPos := s.Amax(s.Mul(b.float(s, b.pos), d), true, 1)
	// Same-class entries are pushed up by the row's largest distance so the minimum skips them.
	notNeg := b.float(s, b.same)
	hardestNeg := s.Amin(s.Add(d, s.Mul(s.Amax(d, true, 1), notNeg)), true, 1)
	tl := s.AddScalar(s.Sub(hardestPos, hardestNeg), b.margin)
	tl = s.MaskedFill(tl, s.LtScalar(tl, 0), 0)
	return s.Mean(tl, false)
}

// BatchAllTripletLoss is sentence-transformers' BatchAllTripletLoss on (text, class) batches: the hinge
// d(a, p) - d(a, n) + Margin over every valid triplet (a != p of one class, n of another), summed and
// divided by the number of triplets whose hinge is positive. Margin 0 means DefaultTripletMargin.
type BatchAllTripletLoss struct{ Margin float64 }

// Name implements Loss.
func (BatchAllTripletLoss) Name() string { return "batch-all" }

// Columns implements Loss: one text column.
func (BatchAllTripletLoss) Columns() (int, int) { return 1, 1 }

// Labels implements Loss: a class id per text.
func (BatchAllTripletLoss) Labels() LabelKind { return LabelsClass }

// Forward implements Loss.
func (l BatchAllTripletLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	b, ok := prepareClassBatch(s, l, l.Margin, emb, labels)
	if !ok {
		return nil
	}
	d := b.d
	// t[a][p][n] = d(a, p) - d(a, n) + m on valid triplets: same(a, p), a != p, !same(a, n). (a != n and
	// p != n follow from the labels.)
	tl := s.AddScalar(s.Sub(s.Unsqueeze(d, 2), s.Unsqueeze(d, 1)), b.margin)
	valid := s.LogicalAnd(s.Unsqueeze(b.pos, 2), s.Unsqueeze(b.neg, 1))
	tl = s.Mul(b.float(s, valid), tl)
	tl = s.MaskedFill(tl, s.LtScalar(tl, 0), 0)
	active := s.Sum(b.float(s, s.GtScalar(tl, 1e-16)), false)
	return s.Div(s.Sum(tl, false), s.AddScalar(active, 1e-16))
}

// BatchSemiHardTripletLoss is sentence-transformers' BatchSemiHardTripletLoss (the TensorFlow Addons
// semi-hard triplet loss it ports) on (text, class) batches. For each anchor a and positive p (same class,
// p != a) the negative is the closest other-class text farther from a than p; when there is none, the
// farthest other-class text. The loss is relu(d(a, p) - d(a, n) + Margin) summed over the (a, p) pairs
// and divided by their number. Margin 0 means DefaultTripletMargin.
type BatchSemiHardTripletLoss struct{ Margin float64 }

// Name implements Loss.
func (BatchSemiHardTripletLoss) Name() string { return "batch-semi-hard" }

// Columns implements Loss: one text column.
func (BatchSemiHardTripletLoss) Columns() (int, int) { return 1, 1 }

// Labels implements Loss: a class id per text.
func (BatchSemiHardTripletLoss) Labels() LabelKind { return LabelsClass }

// Forward implements Loss.
func (l BatchSemiHardTripletLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	b, ok := prepareClassBatch(s, l, l.Margin, emb, labels)
	if !ok {
		return nil
	}
	d := b.d
	// Index [a, p, k]: k is a candidate negative for anchor a and positive p. ST tiles d to [B*B, B]; the
	// broadcast below holds the same numbers.
	dk := s.Unsqueeze(d, 1) // [a, 1, k] = d(a, k)
	farther := s.LogicalAnd(s.Unsqueeze(b.neg, 1), s.Gt(dk, s.Unsqueeze(d, 2)))
	hasFarther := s.Any(farther, false, 2) // [a, p]
	// Masked minimum over k, computed as ST does: shift by the row maximum, mask, take the minimum, shift back.
	rowMax := s.Amax(d, true, 1)                                                         // [a, 1]
	shifted := s.Mul(s.Sub(dk, s.Unsqueeze(rowMax, 2)), b.float(s, farther))             // [a, p, k]
	outside := s.Add(s.Amin(shifted, false, 2), rowMax)                                  // [a, p]
	rowMin := s.Amin(d, true, 1)                                                         // [a, 1]
	inside := s.Add(s.Amax(s.Mul(s.Sub(d, rowMin), b.float(s, b.neg)), true, 1), rowMin) // [a, 1]
	semiHard := s.Where(hasFarther, outside, s.Expand(inside, b.rows, b.rows))
	lossMat := s.AddScalar(s.Sub(d, semiHard), b.margin)
	posMask := b.float(s, b.pos)
	nPos := s.ClampMin(s.Sum(posMask, false), 1e-16)
	return s.Div(s.Sum(s.Relu(s.Mul(lossMat, posMask)), false), nPos)
}

// CoSENTLoss is sentence-transformers' CoSENTLoss: with s_i = Scale * cos(u_i, v_i), the log of
// 1 + sum over the pairs (i, j) of the batch with score_i < score_j of exp(s_i - s_j). It ranks pairs by
// their gold score. Scale 0 means DefaultScale.
type CoSENTLoss struct{ Scale float64 }

// Name implements Loss.
func (CoSENTLoss) Name() string { return "cosent" }

// Columns implements Loss: a pair.
func (CoSENTLoss) Columns() (int, int) { return 2, 2 }

// Labels implements Loss: a similarity score per pair.
func (CoSENTLoss) Labels() LabelKind { return LabelsScore }

// Forward implements Loss.
func (l CoSENTLoss) Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor {
	bi, ok := prepare(s, l, emb, labels)
	if !ok {
		return nil
	}
	scale := orDefault(l.Scale, DefaultScale)
	u := s.Normalize(emb[0], 2, 1, normEps)
	v := s.Normalize(emb[1], 2, 1, normEps)
	sc := s.MulScalar(s.Sum(s.Mul(u, v), false, 1), scale)
	diff := s.Sub(s.Unsqueeze(sc, 1), s.Unsqueeze(sc, 0)) // [i, j] = s_i - s_j
	y := bi.labels
	ranked := bi.float(s, s.Lt(s.Unsqueeze(y, 1), s.Unsqueeze(y, 0)))
	// Pairs out of order are pushed to -1e12, where exp underflows to 0 (ST's masking).
	diff = s.Sub(diff, s.MulScalar(s.RsubScalar(ranked, 1), 1e12))
	flat := s.Cat([]*torch.Tensor{s.Zeros([]int64{1}, bi.dtype, bi.dev), s.Reshape(diff, -1)}, 0)
	return s.LogSumExp(flat, false, 0)
}
