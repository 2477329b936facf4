// Package classify labels texts by their sentence embeddings: zero-shot
// label matching (ZeroShot), few-shot heads fitted on a support set
// (Prototype, KNN, the logistic-regression LogReg), heads saved to and loaded
// from JSON (SaveClassifier, LoadClassifier), the vector helpers they share
// (CosineSimilarity, Normalize, Softmax) and a TF-IDF baseline embedder.
//
// Embeddings are [][]float32, one row per text. Everything that needs a model
// goes through the Embedder interface, so the same code runs on hand-made
// vectors in tests, on the TF-IDF baseline and on a real sentence-BERT encoder.
package classify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/fewshot-go/fewshot/dataset"
)

// Embedder turns texts into embeddings; the model package's encoder and the
// TF-IDF baseline implement it.
type Embedder interface {
	// Embed returns one embedding per text, in the order of texts.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// ID identifies the model; it is recorded in saved classifiers.
	ID() string
}

// LabelScore is one label's score for one text.
type LabelScore struct {
	// Label is the class label.
	Label string `json:"label"`
	// Score is the classifier's score for Label: a cosine similarity, a
	// negative squared distance, a k-NN vote, or a softmax probability when
	// probabilities were asked for. Higher is better.
	Score float64 `json:"score"`
}

// Prediction is a classifier's answer for one text.
type Prediction struct {
	// Label is the best label; in multi-label zero-shot mode the best label
	// that passed the threshold, or "" when none did.
	Label string `json:"label"`
	// Labels lists every label that passed the threshold in multi-label
	// zero-shot mode (best first, possibly empty); nil otherwise.
	Labels []string `json:"labels,omitempty"`
	// Scores holds the label scores, best first; ties keep label order.
	Scores []LabelScore `json:"scores"`
}

// Classifier is a classification head over embeddings: it is fitted on a
// labelled support set and predicts labels for query embeddings.
type Classifier interface {
	// Fit learns from the support embeddings and their labels (same length).
	Fit(emb [][]float32, labels []string) error
	// Predict returns one prediction per query embedding.
	Predict(emb [][]float32) ([]Prediction, error)
}

// Metric names how a Prototype compares a query with a prototype.
type Metric string

const (
	// MetricCosine scores by cosine similarity.
	MetricCosine Metric = "cosine"
	// MetricEuclidean scores by negative squared Euclidean distance, as
	// prototypical networks do (Snell et al. 2017).
	MetricEuclidean Metric = "euclidean"
)

// DefaultCosineTemperature is the softmax temperature used for cosine scores
// when none is given: 0.05, the inverse of the scale 20 that
// sentence-transformers' MultipleNegativesRankingLoss applies to cosines.
const DefaultCosineTemperature = 0.05

// DefaultEuclideanTemperature is the softmax temperature used for negative
// squared distances when none is given: 1, as in prototypical networks.
const DefaultEuclideanTemperature = 1.0

// Weighting names how KNN weighs the votes of the K nearest neighbours.
type Weighting string

const (
	// WeightUniform gives every neighbour one vote; a label's score is its
	// share of the K neighbours.
	WeightUniform Weighting = "uniform"
	// WeightDistance weighs each neighbour's vote by its cosine similarity to
	// the query (closer neighbours count more); a label's score is the sum of
	// its neighbours' similarities. A negative similarity counts against.
	WeightDistance Weighting = "distance"
)

// checkSupport validates a support set and returns its sorted distinct
// labels, the label index of each row and the dimension. When classes is not
// empty it is the full label set: every class must have an example and every
// example a class from it.
func checkSupport(emb [][]float32, labels, classes []string) ([]string, []int, int, error) {
	if len(emb) == 0 {
		return nil, nil, 0, errors.New("empty support set")
	}
	if len(emb) != len(labels) {
		return nil, nil, 0, fmt.Errorf("%d support embeddings but %d labels", len(emb), len(labels))
	}
	dim, err := checkVectors(emb, 0, "support")
	if err != nil {
		return nil, nil, 0, err
	}
	count := map[string]int{}
	for i, l := range labels {
		if l == "" {
			return nil, nil, 0, fmt.Errorf("support example %d has an empty label", i)
		}
		count[l]++
	}
	var sorted []string
	if len(classes) > 0 {
		seen := map[string]bool{}
		for _, c := range classes {
			if c == "" {
				return nil, nil, 0, errors.New("classes: empty label")
			}
			if seen[c] {
				return nil, nil, 0, fmt.Errorf("classes: duplicate label %q", c)
			}
			seen[c] = true
			if count[c] == 0 {
				return nil, nil, 0, fmt.Errorf("class %q has no support examples", c)
			}
		}
		for i, l := range labels {
			if !seen[l] {
				return nil, nil, 0, fmt.Errorf("support example %d has label %q, which is not among the %d classes", i, l, len(classes))
			}
		}
	}
	for l := range count {
		sorted = append(sorted, l)
	}
	sort.Strings(sorted)
	if len(sorted) < 2 {
		return nil, nil, 0, fmt.Errorf("support set has one class only (%q): need at least 2", sorted[0])
	}
	index := make(map[string]int, len(sorted))
	for i, l := range sorted {
		index[l] = i
	}
	ids := make([]int, len(labels))
	for i, l := range labels {
		ids[i] = index[l]
	}
	return sorted, ids, dim, nil
}

// rankScores returns the label scores best first; equal scores keep the order
// of labels (which is sorted), so ties break deterministically.
func rankScores(labels []string, scores []float64) []LabelScore {
	out := make([]LabelScore, len(labels))
	for i := range labels {
		out[i] = LabelScore{Label: labels[i], Score: scores[i]}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Score > out[b].Score })
	return out
}

// Prototype is a nearest-class-mean classifier: each class is represented by
// the mean of its support embeddings (its prototype), and a query gets the
// label of the most similar prototype. With MetricCosine the score is the
// cosine similarity; with MetricEuclidean it is the negative squared
// Euclidean distance (Snell et al. 2017). Labels are ordered
// lexicographically; equal scores go to the earlier label.
type Prototype struct {
	// Metric is MetricCosine (the default when empty) or MetricEuclidean.
	Metric Metric
	// Probabilities replaces the scores by softmax(score/Temperature).
	Probabilities bool
	// Temperature is the softmax temperature; 0 means
	// DefaultCosineTemperature or DefaultEuclideanTemperature.
	Temperature float64
	// Classes optionally fixes the label set: Fit then fails when one of
	// them has no support example or an example has another label.
	Classes []string

	labels []string
	protos [][]float32
	dim    int
}

func (p *Prototype) metric() (Metric, error) {
	switch p.Metric {
	case "", MetricCosine:
		return MetricCosine, nil
	case MetricEuclidean:
		return MetricEuclidean, nil
	}
	return "", fmt.Errorf("prototype: unknown metric %q (want %q or %q)", p.Metric, MetricCosine, MetricEuclidean)
}

func (p *Prototype) temperature(m Metric) (float64, error) {
	t := p.Temperature
	if t == 0 {
		if m == MetricEuclidean {
			return DefaultEuclideanTemperature, nil
		}
		return DefaultCosineTemperature, nil
	}
	if !(t > 0) || math.IsInf(t, 0) {
		return 0, fmt.Errorf("prototype: temperature must be positive, got %v", t)
	}
	return t, nil
}

// Fit computes one prototype per class.
func (p *Prototype) Fit(emb [][]float32, labels []string) error {
	m, err := p.metric()
	if err != nil {
		return err
	}
	if _, err := p.temperature(m); err != nil {
		return err
	}
	classes, ids, dim, err := checkSupport(emb, labels, p.Classes)
	if err != nil {
		return fmt.Errorf("prototype fit: %w", err)
	}
	sums := make([][]float64, len(classes))
	for c := range sums {
		sums[c] = make([]float64, dim)
	}
	n := make([]int, len(classes))
	for i, row := range emb {
		for j, v := range row {
			sums[ids[i]][j] += float64(v)
		}
		n[ids[i]]++
	}
	protos := make([][]float32, len(classes))
	for c := range protos {
		protos[c] = make([]float32, dim)
		for j := range protos[c] {
			protos[c][j] = float32(sums[c][j] / float64(n[c]))
		}
	}
	p.labels, p.protos, p.dim = classes, protos, dim
	return nil
}

// Labels returns the fitted labels in score-tie order (sorted), or nil.
func (p *Prototype) Labels() []string { return append([]string(nil), p.labels...) }

// Prototypes returns a copy of the fitted prototypes, one per label.
func (p *Prototype) Prototypes() [][]float32 { return copyRows(p.protos) }

// Predict scores every query against every prototype.
func (p *Prototype) Predict(emb [][]float32) ([]Prediction, error) {
	if p.protos == nil {
		return nil, errors.New("prototype predict: not fitted")
	}
	if len(emb) == 0 {
		return nil, nil
	}
	m, err := p.metric()
	if err != nil {
		return nil, err
	}
	temp, err := p.temperature(m)
	if err != nil {
		return nil, err
	}
	if _, err := checkVectors(emb, p.dim, "query"); err != nil {
		return nil, fmt.Errorf("prototype predict: %w", err)
	}
	out := make([]Prediction, len(emb))
	scores := make([]float64, len(p.labels))
	for i, q := range emb {
		for c, proto := range p.protos {
			if m == MetricEuclidean {
				scores[c] = -sqDist(q, proto)
			} else {
				scores[c] = cosine(q, proto)
			}
		}
		s := scores
		if p.Probabilities {
			if s, err = Softmax(scores, temp); err != nil {
				return nil, fmt.Errorf("prototype predict query %d: %w", i, err)
			}
		}
		ranked := rankScores(p.labels, s)
		out[i] = Prediction{Label: ranked[0].Label, Scores: ranked}
	}
	return out, nil
}

// KNN is a k-nearest-neighbour classifier over the support embeddings, by
// cosine similarity. Neighbours with equal similarity are taken in support
// order; labels with equal scores are ordered lexicographically, and the
// first wins.
type KNN struct {
	// K is the number of neighbours; 0 means 1 (nearest neighbour). A K
	// larger than the support set uses the whole set.
	K int
	// Weighting is WeightUniform (the default when empty) or WeightDistance.
	Weighting Weighting
	// Classes optionally fixes the label set, as for Prototype.
	Classes []string

	labels  []string
	ids     []int
	support [][]float32 // as given to Fit
	unit    [][]float32 // L2-normalised support
	dim     int
}

func (k *KNN) params() (int, Weighting, error) {
	if k.K < 0 {
		return 0, "", fmt.Errorf("knn: K must be >= 0, got %d", k.K)
	}
	kk := k.K
	if kk == 0 {
		kk = 1
	}
	switch k.Weighting {
	case "", WeightUniform:
		return kk, WeightUniform, nil
	case WeightDistance:
		return kk, WeightDistance, nil
	}
	return 0, "", fmt.Errorf("knn: unknown weighting %q (want %q or %q)", k.Weighting, WeightUniform, WeightDistance)
}

// Fit stores the support set.
func (k *KNN) Fit(emb [][]float32, labels []string) error {
	if _, _, err := k.params(); err != nil {
		return err
	}
	classes, ids, dim, err := checkSupport(emb, labels, k.Classes)
	if err != nil {
		return fmt.Errorf("knn fit: %w", err)
	}
	k.labels, k.ids, k.dim = classes, ids, dim
	k.support = copyRows(emb)
	k.unit = make([][]float32, len(emb))
	for i, row := range emb {
		k.unit[i] = Normalize(row)
	}
	return nil
}

// Labels returns the fitted labels (sorted), or nil.
func (k *KNN) Labels() []string { return append([]string(nil), k.labels...) }

// Predict votes among the K most similar support embeddings of each query.
func (k *KNN) Predict(emb [][]float32) ([]Prediction, error) {
	if k.unit == nil {
		return nil, errors.New("knn predict: not fitted")
	}
	if len(emb) == 0 {
		return nil, nil
	}
	kk, w, err := k.params()
	if err != nil {
		return nil, err
	}
	if _, err := checkVectors(emb, k.dim, "query"); err != nil {
		return nil, fmt.Errorf("knn predict: %w", err)
	}
	kk = min(kk, len(k.unit))
	out := make([]Prediction, len(emb))
	sims := make([]float64, len(k.unit))
	order := make([]int, len(k.unit))
	for i, q := range emb {
		qu := Normalize(q)
		for j, s := range k.unit {
			sims[j] = dot(qu, s)
			order[j] = j
		}
		sort.SliceStable(order, func(a, b int) bool { return sims[order[a]] > sims[order[b]] })
		scores := make([]float64, len(k.labels))
		for _, j := range order[:kk] {
			if w == WeightDistance {
				scores[k.ids[j]] += sims[j]
			} else {
				scores[k.ids[j]] += 1 / float64(kk)
			}
		}
		ranked := rankScores(k.labels, scores)
		out[i] = Prediction{Label: ranked[0].Label, Scores: ranked}
	}
	return out, nil
}

// Embed calls e.Embed and checks that it returned one finite row per text,
// all of one dimension.
func Embed(ctx context.Context, e Embedder, texts []string) ([][]float32, error) {
	emb, err := e.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed %d texts with %s: %w", len(texts), e.ID(), err)
	}
	if len(emb) != len(texts) {
		return nil, fmt.Errorf("embed with %s: %d texts gave %d embeddings", e.ID(), len(texts), len(emb))
	}
	if _, err := checkVectors(emb, 0, "text"); err != nil {
		return nil, fmt.Errorf("embed with %s: %w", e.ID(), err)
	}
	return emb, nil
}

// SupportSet holds labelled support examples with their embeddings, computed
// once, so that a classifier can be fitted (and refitted) without running the
// encoder again, and queries need only their own encoder pass.
type SupportSet struct {
	// Examples are the support texts and labels.
	Examples []dataset.Example
	// Embeddings holds one row per example.
	Embeddings [][]float32
	// ModelID is the ID of the Embedder that computed Embeddings.
	ModelID string
}

// NewSupportSet embeds the examples' texts with one Embed call.
func NewSupportSet(ctx context.Context, e Embedder, examples []dataset.Example) (*SupportSet, error) {
	if len(examples) == 0 {
		return nil, errors.New("support set: no examples")
	}
	texts := make([]string, len(examples))
	for i, ex := range examples {
		if ex.Label == "" {
			return nil, fmt.Errorf("support set: example %d has an empty label", i)
		}
		texts[i] = ex.Text
	}
	emb, err := Embed(ctx, e, texts)
	if err != nil {
		return nil, fmt.Errorf("support set: %w", err)
	}
	return &SupportSet{Examples: append([]dataset.Example(nil), examples...), Embeddings: emb, ModelID: e.ID()}, nil
}

// Labels returns the label of each support example.
func (s *SupportSet) Labels() []string {
	out := make([]string, len(s.Examples))
	for i, ex := range s.Examples {
		out[i] = ex.Label
	}
	return out
}

// Fit fits c on the support embeddings.
func (s *SupportSet) Fit(c Classifier) error {
	if err := c.Fit(s.Embeddings, s.Labels()); err != nil {
		return fmt.Errorf("fit on support set (%d examples): %w", len(s.Examples), err)
	}
	return nil
}

// PredictTexts embeds texts with e (one Embed call) and classifies them with
// the fitted classifier c. No texts give no predictions and no Embed call.
func PredictTexts(ctx context.Context, e Embedder, c Classifier, texts []string) ([]Prediction, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	emb, err := Embed(ctx, e, texts)
	if err != nil {
		return nil, err
	}
	return c.Predict(emb)
}
