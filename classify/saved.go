package classify

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/fewshot-go/fewshot/internal/fsutil"
)

// ErrModelMismatch is returned (wrapped) when a saved classifier was fitted on
// embeddings of another model than the one it is loaded for.
var ErrModelMismatch = errors.New("classifier was fitted on another model's embeddings")

// ClassifierFormat is the "format" value of a saved classifier file.
const ClassifierFormat = "fewshot-classifier"

// ClassifierFormatVersion is the version of the saved classifier format.
const ClassifierFormatVersion = 1

// SavedClassifier is the JSON file format of a fitted classifier head. One
// format serves every method: the common header, then the fields that the
// method uses (others are omitted).
//
//	{"format": "fewshot-classifier", "version": 1, "method": "prototype",
//	 "embedder_id": "...", "dim": 384, "labels": ["a", "b"],
//	 "params": {...}, "prototypes": [[...], [...]]}
//
// Rows of prototypes, weights and bias follow labels. For a linear head
// ("method": "logreg") the logits of a query x are weights·x + bias, with
// weights of shape [len(labels)][dim] (one row per label, also for two
// labels) and bias of length len(labels).
type SavedClassifier struct {
	// Format is ClassifierFormat.
	Format string `json:"format"`
	// Version is ClassifierFormatVersion.
	Version int `json:"version"`
	// Method names the classifier: "prototype", "knn", "logreg", ...
	Method string `json:"method"`
	// EmbedderID is the ID of the model whose embeddings the head was fitted on.
	EmbedderID string `json:"embedder_id"`
	// Dim is the embedding dimension.
	Dim int `json:"dim"`
	// Labels are the class labels, in the classifier's order.
	Labels []string `json:"labels"`
	// Params holds the method's parameters as a JSON object.
	Params json.RawMessage `json:"params,omitempty"`
	// Prototypes holds one vector per label (method "prototype").
	Prototypes [][]float32 `json:"prototypes,omitempty"`
	// SupportLabels holds the label of each support vector (method "knn").
	SupportLabels []string `json:"support_labels,omitempty"`
	// SupportVectors holds the support embeddings (method "knn").
	SupportVectors [][]float32 `json:"support_vectors,omitempty"`
	// Weights is a linear head's weight matrix, one row per label.
	Weights [][]float64 `json:"weights,omitempty"`
	// Bias is a linear head's bias, one value per label.
	Bias []float64 `json:"bias,omitempty"`
}

// SaveableClassifier is a Classifier that can be written to and restored
// from a SavedClassifier.
type SaveableClassifier interface {
	Classifier
	// Method returns the "method" name recorded in the file.
	Method() string
	// State returns the fitted state; Save fills the header fields.
	State() (*SavedClassifier, error)
	// Restore sets the classifier to the saved state.
	Restore(s *SavedClassifier) error
}

type prototypeParams struct {
	Metric        Metric  `json:"metric"`
	Temperature   float64 `json:"temperature"`
	Probabilities bool    `json:"probabilities"`
}

// Method returns "prototype".
func (p *Prototype) Method() string { return "prototype" }

// State returns the fitted prototypes and parameters.
func (p *Prototype) State() (*SavedClassifier, error) {
	if p.protos == nil {
		return nil, errors.New("prototype: not fitted")
	}
	m, err := p.metric()
	if err != nil {
		return nil, err
	}
	t, err := p.temperature(m)
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(prototypeParams{Metric: m, Temperature: t, Probabilities: p.Probabilities})
	if err != nil {
		return nil, fmt.Errorf("prototype params: %w", err)
	}
	return &SavedClassifier{Method: p.Method(), Dim: p.dim, Labels: p.Labels(), Params: params, Prototypes: copyRows(p.protos)}, nil
}

// Restore loads prototypes and parameters from s.
func (p *Prototype) Restore(s *SavedClassifier) error {
	var params prototypeParams
	if err := decodeParams(s, &params); err != nil {
		return err
	}
	q := Prototype{Metric: params.Metric, Temperature: params.Temperature, Probabilities: params.Probabilities}
	m, err := q.metric()
	if err != nil {
		return err
	}
	if _, err := q.temperature(m); err != nil {
		return err
	}
	if err := checkLabelsAndRows(s, s.Prototypes, "prototypes"); err != nil {
		return err
	}
	q.labels, q.protos, q.dim = append([]string(nil), s.Labels...), copyRows(s.Prototypes), s.Dim
	*p = q
	return nil
}

type knnParams struct {
	K         int       `json:"k"`
	Weighting Weighting `json:"weighting"`
}

// Method returns "knn".
func (k *KNN) Method() string { return "knn" }

// State returns the support vectors and parameters.
func (k *KNN) State() (*SavedClassifier, error) {
	if k.unit == nil {
		return nil, errors.New("knn: not fitted")
	}
	kk, w, err := k.params()
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(knnParams{K: kk, Weighting: w})
	if err != nil {
		return nil, fmt.Errorf("knn params: %w", err)
	}
	sl := make([]string, len(k.ids))
	for i, id := range k.ids {
		sl[i] = k.labels[id]
	}
	return &SavedClassifier{Method: k.Method(), Dim: k.dim, Labels: k.Labels(), Params: params,
		SupportLabels: sl, SupportVectors: copyRows(k.support)}, nil
}

// Restore loads the support vectors and parameters from s.
func (k *KNN) Restore(s *SavedClassifier) error {
	var params knnParams
	if err := decodeParams(s, &params); err != nil {
		return err
	}
	q := KNN{K: params.K, Weighting: params.Weighting, Classes: s.Labels}
	if _, _, err := q.params(); err != nil {
		return err
	}
	if len(s.SupportVectors) > 0 {
		if _, err := checkVectors(s.SupportVectors, s.Dim, "saved support"); err != nil {
			return err
		}
	}
	if err := q.Fit(s.SupportVectors, s.SupportLabels); err != nil {
		return fmt.Errorf("restore knn: %w", err)
	}
	q.Classes = nil
	*k = q
	return nil
}

func decodeParams(s *SavedClassifier, v any) error {
	if len(s.Params) == 0 {
		return fmt.Errorf("%s: no params", s.Method)
	}
	if err := json.Unmarshal(s.Params, v); err != nil {
		return fmt.Errorf("%s params: %w", s.Method, err)
	}
	return nil
}

// checkLabelsAndRows checks that s.Labels are distinct and non-empty (at
// least two) and that rows has one finite row of s.Dim values per label.
func checkLabelsAndRows(s *SavedClassifier, rows [][]float32, what string) error {
	if len(s.Labels) < 2 {
		return fmt.Errorf("%s: %d labels, need at least 2", s.Method, len(s.Labels))
	}
	seen := map[string]bool{}
	for _, l := range s.Labels {
		if l == "" || seen[l] {
			return fmt.Errorf("%s: empty or duplicate label %q", s.Method, l)
		}
		seen[l] = true
	}
	if len(rows) != len(s.Labels) {
		return fmt.Errorf("%s: %d %s for %d labels", s.Method, len(rows), what, len(s.Labels))
	}
	if s.Dim <= 0 {
		return fmt.Errorf("%s: dim %d", s.Method, s.Dim)
	}
	if _, err := checkVectors(rows, s.Dim, what); err != nil {
		return fmt.Errorf("%s: %w", s.Method, err)
	}
	return nil
}

// CheckModel returns an error wrapping ErrModelMismatch when the classifier
// was fitted on another model than embedderID.
func (s *SavedClassifier) CheckModel(embedderID string) error {
	if s.EmbedderID != embedderID {
		return fmt.Errorf("%w: saved for model %q, loading for model %q", ErrModelMismatch, s.EmbedderID, embedderID)
	}
	return nil
}

// SaveClassifier writes the fitted classifier c, fitted on embeddings of the
// model embedderID, to path as JSON. The file is written to a temporary file
// in the same directory and renamed over path, so a reader never sees half a
// file.
func SaveClassifier(path string, c SaveableClassifier, embedderID string) error {
	s, err := c.State()
	if err != nil {
		return fmt.Errorf("save classifier %s: %w", path, err)
	}
	s.Format, s.Version, s.Method, s.EmbedderID = ClassifierFormat, ClassifierFormatVersion, c.Method(), embedderID
	for i, row := range s.Weights {
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("save classifier %s: weight [%d][%d] is %v", path, i, j, v)
			}
		}
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save classifier %s: %w", path, err)
	}
	if err := fsutil.WriteFileAtomic(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("save classifier: %w", err)
	}
	return nil
}

// ReadSavedClassifier reads and checks the header of a saved classifier file
// without restoring it.
func ReadSavedClassifier(path string) (*SavedClassifier, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read classifier: %w", err)
	}
	var s SavedClassifier
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("read classifier %s: %w", path, err)
	}
	if s.Format != ClassifierFormat {
		return nil, fmt.Errorf("read classifier %s: format %q, want %q", path, s.Format, ClassifierFormat)
	}
	if s.Version != ClassifierFormatVersion {
		return nil, fmt.Errorf("read classifier %s: format version %d, this build reads %d", path, s.Version, ClassifierFormatVersion)
	}
	return &s, nil
}

// LoadClassifier reads a classifier saved by SaveClassifier and restores it,
// after checking that it was fitted on embeddings of the model embedderID
// (an error wrapping ErrModelMismatch otherwise). The first of extra whose
// Method matches the file restores it; otherwise the head of that name
// (prototype, knn or logreg, see NewHead) does.
func LoadClassifier(path, embedderID string, extra ...SaveableClassifier) (Classifier, error) {
	s, err := ReadSavedClassifier(path)
	if err != nil {
		return nil, err
	}
	if err := s.CheckModel(embedderID); err != nil {
		return nil, fmt.Errorf("load classifier %s: %w", path, err)
	}
	candidates := extra
	for _, h := range headMakers {
		candidates = append(candidates, h.make(HeadOptions{}))
	}
	for _, c := range candidates {
		if c.Method() != s.Method {
			continue
		}
		if err := c.Restore(s); err != nil {
			return nil, fmt.Errorf("load classifier %s: %w", path, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("load classifier %s: unknown method %q", path, s.Method)
}

// Method returns "logreg".
func (l *LogReg) Method() string { return "logreg" }

// State returns the fitted weights, bias and optimisation settings.
func (l *LogReg) State() (*SavedClassifier, error) {
	if l.w == nil {
		return nil, errors.New("logreg: not fitted")
	}
	cfg, err := l.config()
	if err != nil {
		return nil, err
	}
	params, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("logreg params: %w", err)
	}
	w, b := l.Weights()
	return &SavedClassifier{Method: l.Method(), Dim: l.dim, Labels: l.Labels(), Params: params, Weights: w, Bias: b}, nil
}

// Restore loads the weights, bias and settings from s.
func (l *LogReg) Restore(s *SavedClassifier) error {
	var cfg logRegConfig
	if err := decodeParams(s, &cfg); err != nil {
		return err
	}
	q := LogReg{C: cfg.C, MaxIter: cfg.MaxIter, Tol: cfg.Tol}
	if _, err := q.config(); err != nil {
		return err
	}
	if len(s.Labels) < 2 {
		return fmt.Errorf("logreg: %d labels, need at least 2", len(s.Labels))
	}
	seen := map[string]bool{}
	for _, lb := range s.Labels {
		if lb == "" || seen[lb] {
			return fmt.Errorf("logreg: empty or duplicate label %q", lb)
		}
		seen[lb] = true
	}
	if s.Dim <= 0 {
		return fmt.Errorf("logreg: dim %d", s.Dim)
	}
	if len(s.Weights) != len(s.Labels) || len(s.Bias) != len(s.Labels) {
		return fmt.Errorf("logreg: %d weight rows and %d biases for %d labels", len(s.Weights), len(s.Bias), len(s.Labels))
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for i, row := range s.Weights {
		if len(row) != s.Dim {
			return fmt.Errorf("logreg: weight row %d has %d values, want %d", i, len(row), s.Dim)
		}
		for j, v := range row {
			if !finite(v) {
				return fmt.Errorf("logreg: weight [%d][%d] is %v", i, j, v)
			}
		}
		if !finite(s.Bias[i]) {
			return fmt.Errorf("logreg: bias %d is %v", i, s.Bias[i])
		}
	}
	q.labels, q.dim = append([]string(nil), s.Labels...), s.Dim
	q.w = make([][]float64, len(s.Weights))
	for i, row := range s.Weights {
		q.w[i] = append([]float64(nil), row...)
	}
	q.b = append([]float64(nil), s.Bias...)
	*l = q
	return nil
}
