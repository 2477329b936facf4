package classify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// DefaultZeroShotTemplate is a common template for zero-shot labels.
const DefaultZeroShotTemplate = "This text is about {}."

// ZeroShotOptions configures a ZeroShot classifier.
type ZeroShotOptions struct {
	// Templates turn a label into a sentence; "{}" is replaced by the label
	// (or its description), every occurrence. Each template must contain
	// "{}". With several templates, the label's embedding is the mean of the
	// L2-normalised template embeddings, L2-normalised again (prompt
	// ensembling as in CLIP). No template embeds the bare label.
	Templates []string
	// Descriptions optionally maps a label to the text that is embedded in
	// its place (through the templates); predictions still name the label.
	Descriptions map[string]string
	// Probabilities replaces the cosine scores by softmax(cosine/Temperature)
	// over the labels.
	Probabilities bool
	// Temperature is the softmax temperature; 0 means
	// DefaultCosineTemperature.
	Temperature float64
	// TopK keeps only the K best scores in each prediction; 0 keeps all.
	TopK int
	// MultiLabel predicts every label whose cosine similarity is at least
	// Threshold (possibly none) in Prediction.Labels.
	MultiLabel bool
	// Threshold is the cosine similarity a label needs in MultiLabel mode.
	Threshold float64
}

// ZeroShot classifies texts by the cosine similarity of their embeddings to
// the embeddings of the label names (or descriptions), computed once when
// the classifier is built.
type ZeroShot struct {
	embedder Embedder
	labels   []string
	unit     [][]float32 // normalised label embeddings
	opts     ZeroShotOptions
	temp     float64
}

// LabelSentences returns the texts a ZeroShot embeds for labels: for each label in order, its
// description (or the label itself) put through each of opts.Templates in order, or bare when there
// are none.
func LabelSentences(labels []string, opts ZeroShotOptions) []string {
	templates := opts.Templates
	if len(templates) == 0 {
		templates = []string{"{}"}
	}
	texts := make([]string, 0, len(labels)*len(templates))
	for _, l := range labels {
		name := l
		if d, ok := opts.Descriptions[l]; ok {
			name = d
		}
		for _, t := range templates {
			texts = append(texts, strings.ReplaceAll(t, "{}", name))
		}
	}
	return texts
}

// NewZeroShot embeds every label through every template with a single Embed
// call. It fails when there are no labels, a label is empty or repeated, a
// template lacks "{}", a description names an unknown label, or an option is
// out of range.
func NewZeroShot(ctx context.Context, e Embedder, labels []string, opts ZeroShotOptions) (*ZeroShot, error) {
	if len(labels) == 0 {
		return nil, errors.New("zero-shot: no labels")
	}
	seen := make(map[string]bool, len(labels))
	for i, l := range labels {
		if strings.TrimSpace(l) == "" {
			return nil, fmt.Errorf("zero-shot: label %d is empty", i)
		}
		if seen[l] {
			return nil, fmt.Errorf("zero-shot: duplicate label %q", l)
		}
		seen[l] = true
	}
	for i, t := range opts.Templates {
		if !strings.Contains(t, "{}") {
			return nil, fmt.Errorf("zero-shot: template %d %q has no {} for the label", i, t)
		}
	}
	var unknown []string
	for l, d := range opts.Descriptions {
		if !seen[l] {
			unknown = append(unknown, l)
		}
		if strings.TrimSpace(d) == "" {
			return nil, fmt.Errorf("zero-shot: description of label %q is empty", l)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("zero-shot: descriptions given for unknown labels %q", unknown)
	}
	if opts.TopK < 0 {
		return nil, fmt.Errorf("zero-shot: TopK must be >= 0, got %d", opts.TopK)
	}
	if math.IsNaN(opts.Threshold) {
		return nil, errors.New("zero-shot: threshold is NaN")
	}
	temp := opts.Temperature
	if temp == 0 {
		temp = DefaultCosineTemperature
	}
	if !(temp > 0) || math.IsInf(temp, 0) {
		return nil, fmt.Errorf("zero-shot: temperature must be positive, got %v", opts.Temperature)
	}

	templates := max(len(opts.Templates), 1)
	emb, err := Embed(ctx, e, LabelSentences(labels, opts))
	if err != nil {
		return nil, fmt.Errorf("zero-shot labels: %w", err)
	}
	dim := len(emb[0])
	unit := make([][]float32, len(labels))
	for i := range labels {
		mean := make([]float32, dim)
		for j := range templates {
			for d, v := range Normalize(emb[i*templates+j]) {
				mean[d] += v
			}
		}
		unit[i] = Normalize(mean)
	}
	o := opts
	o.Templates = append([]string(nil), opts.Templates...)
	return &ZeroShot{embedder: e, labels: append([]string(nil), labels...), unit: unit, opts: o, temp: temp}, nil
}

// Labels returns the labels in the order given.
func (z *ZeroShot) Labels() []string { return append([]string(nil), z.labels...) }

// LabelEmbeddings returns a copy of the L2-normalised label embeddings.
func (z *ZeroShot) LabelEmbeddings() [][]float32 { return copyRows(z.unit) }

// Classify embeds texts with one Embed call and classifies them. No texts
// give no predictions and no Embed call.
func (z *ZeroShot) Classify(ctx context.Context, texts []string) ([]Prediction, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	emb, err := Embed(ctx, z.embedder, texts)
	if err != nil {
		return nil, fmt.Errorf("zero-shot classify: %w", err)
	}
	return z.ClassifyEmbeddings(emb)
}

// ClassifyEmbeddings classifies texts that are already embedded (by the
// same model). Labels with equal scores keep the order given at
// construction.
func (z *ZeroShot) ClassifyEmbeddings(emb [][]float32) ([]Prediction, error) {
	if len(emb) == 0 {
		return nil, nil
	}
	if _, err := checkVectors(emb, len(z.unit[0]), "query"); err != nil {
		return nil, fmt.Errorf("zero-shot classify: %w", err)
	}
	out := make([]Prediction, len(emb))
	cos := make([]float64, len(z.labels))
	for i, q := range emb {
		qu := Normalize(q)
		for c, l := range z.unit {
			cos[c] = dot(qu, l)
		}
		scores := cos
		if z.opts.Probabilities {
			var err error
			if scores, err = Softmax(cos, z.temp); err != nil {
				return nil, fmt.Errorf("zero-shot classify text %d: %w", i, err)
			}
		}
		// Rank by cosine (the softmax keeps the order) and keep the cosine
		// for the threshold.
		idx := make([]int, len(z.labels))
		for c := range idx {
			idx[c] = c
		}
		sort.SliceStable(idx, func(a, b int) bool { return cos[idx[a]] > cos[idx[b]] })
		p := Prediction{Label: z.labels[idx[0]]}
		if z.opts.MultiLabel {
			p.Label = ""
			p.Labels = []string{}
			for _, c := range idx {
				if cos[c] >= z.opts.Threshold {
					p.Labels = append(p.Labels, z.labels[c])
				}
			}
			if len(p.Labels) > 0 {
				p.Label = p.Labels[0]
			}
		}
		n := len(idx)
		if z.opts.TopK > 0 && z.opts.TopK < n {
			n = z.opts.TopK
		}
		p.Scores = make([]LabelScore, n)
		for r, c := range idx[:n] {
			p.Scores[r] = LabelScore{Label: z.labels[c], Score: scores[c]}
		}
		out[i] = p
	}
	return out, nil
}
