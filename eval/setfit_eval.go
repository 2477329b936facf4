package eval

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/internal/seeded"
)

// SetFitSeeds returns the seeds of the SetFit paper's protocol (setfit's
// data.py SEEDS = 0..9).
func SetFitSeeds() []uint64 { return []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9} }

// SamplePerLabel draws n examples of every label from examples, without
// replacement, seeded (math/rand/v2 PCG) and deterministic. A label with n
// or fewer examples contributes all of them (as setfit's create_samples
// does). The result lists the labels in sorted order and, within a label,
// the examples in sampled order. It differs from setfit in the generator
// (PCG, not pandas' NumPy MT19937), so the same seed draws other examples.
func SamplePerLabel(examples []dataset.Example, n int, seed uint64) ([]dataset.Example, error) {
	if n < 1 {
		return nil, fmt.Errorf("sample per label: n must be at least 1, got %d", n)
	}
	if len(examples) == 0 {
		return nil, errors.New("sample per label: no examples")
	}
	byLabel := map[string][]int{}
	for i, ex := range examples {
		if ex.Label == "" {
			return nil, fmt.Errorf("sample per label: example %d has an empty label", i)
		}
		byLabel[ex.Label] = append(byLabel[ex.Label], i)
	}
	labels := make([]string, 0, len(byLabel))
	for l := range byLabel {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	rng := seeded.New(seed)
	var out []dataset.Example
	for _, l := range labels {
		pool := byLabel[l]
		k := min(n, len(pool))
		for i := 0; i < k; i++ {
			j := i + rng.IntN(len(pool)-i)
			pool[i], pool[j] = pool[j], pool[i]
			out = append(out, examples[pool[i]])
		}
	}
	return out, nil
}

// EmbedSplits produces, for one seed, the embeddings of that seed's sampled
// training examples and of the test texts. A fine-tuning method trains its
// encoder on train first and embeds both with it; a training-free method
// embeds with a fixed encoder (see FrozenEmbedSplits, which embeds the test
// split only once for all seeds).
type EmbedSplits func(ctx context.Context, seed uint64, train []dataset.Example, testTexts []string) (trainEmb, testEmb [][]float32, err error)

// FrozenEmbedSplits returns an EmbedSplits for a fixed encoder: it caches
// every text's embedding, so over all seeds each distinct text (the test
// split included) is embedded once. The cache belongs to the returned
// function; use one per evaluation and do not call it concurrently.
func FrozenEmbedSplits(e classify.Embedder) EmbedSplits {
	cache := map[string][]float32{}
	lookup := func(ctx context.Context, texts []string) ([][]float32, error) {
		var missing []string
		queued := map[string]bool{}
		for _, t := range texts {
			if _, ok := cache[t]; !ok && !queued[t] {
				queued[t] = true
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			emb, err := classify.Embed(ctx, e, missing)
			if err != nil {
				return nil, err
			}
			for i, t := range missing {
				cache[t] = emb[i]
			}
		}
		out := make([][]float32, len(texts))
		for i, t := range texts {
			out[i] = cache[t]
		}
		return out, nil
	}
	return func(ctx context.Context, _ uint64, train []dataset.Example, testTexts []string) ([][]float32, [][]float32, error) {
		// Test first: on the first seed it is embedded in one call.
		testEmb, err := lookup(ctx, testTexts)
		if err != nil {
			return nil, nil, fmt.Errorf("embed test split: %w", err)
		}
		texts := make([]string, len(train))
		for i, ex := range train {
			texts[i] = ex.Text
		}
		trainEmb, err := lookup(ctx, texts)
		if err != nil {
			return nil, nil, fmt.Errorf("embed training sample: %w", err)
		}
		return trainEmb, testEmb, nil
	}
}

// SetFitRun is the outcome of one seed.
type SetFitRun struct {
	// Seed is the sampling seed.
	Seed uint64 `json:"seed"`
	// TrainSize is the number of sampled training examples.
	TrainSize int `json:"train_size"`
	// Accuracy and MacroF1 are measured on the whole test split.
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
}

// SetFitResult summarises the SetFit protocol over all seeds.
type SetFitResult struct {
	// N is the number of training examples per label.
	N int `json:"n"`
	// Runs holds one entry per seed, in seed order.
	Runs []SetFitRun `json:"runs"`
	// AccuracyMean and AccuracySD are the mean and the population standard
	// deviation (divisor n, NumPy's np.std default, as in setfit's summary
	// tables) of the per-seed accuracies; likewise for macro-F1.
	AccuracyMean float64 `json:"accuracy_mean"`
	AccuracySD   float64 `json:"accuracy_sd"`
	MacroF1Mean  float64 `json:"macro_f1_mean"`
	MacroF1SD    float64 `json:"macro_f1_sd"`
}

// EvaluateSetFit runs the non-episodic SetFit protocol: for each seed (nil
// means SetFitSeeds) it samples n training examples per label
// (SamplePerLabel), gets embeddings from embed, fits a fresh classifier from
// newClassifier, predicts the whole test split and records accuracy and
// macro-F1.
func EvaluateSetFit(ctx context.Context, train, test []dataset.Example, n int, seeds []uint64, embed EmbedSplits, newClassifier func() classify.Classifier) (SetFitResult, error) {
	if len(test) == 0 {
		return SetFitResult{}, errors.New("setfit protocol: empty test split")
	}
	if embed == nil || newClassifier == nil {
		return SetFitResult{}, errors.New("setfit protocol: missing embed function or classifier factory")
	}
	if seeds == nil {
		seeds = SetFitSeeds()
	}
	if len(seeds) == 0 {
		return SetFitResult{}, errors.New("setfit protocol: no seeds")
	}
	testTexts := make([]string, len(test))
	gold := make([]string, len(test))
	for i, ex := range test {
		testTexts[i], gold[i] = ex.Text, ex.Label
	}
	res := SetFitResult{N: n}
	var accs, f1s []float64
	for _, seed := range seeds {
		if err := ctx.Err(); err != nil {
			return SetFitResult{}, fmt.Errorf("setfit protocol seed %d: %w", seed, err)
		}
		sample, err := SamplePerLabel(train, n, seed)
		if err != nil {
			return SetFitResult{}, fmt.Errorf("setfit protocol seed %d: %w", seed, err)
		}
		trainEmb, testEmb, err := embed(ctx, seed, sample, testTexts)
		if err != nil {
			return SetFitResult{}, fmt.Errorf("setfit protocol seed %d: %w", seed, err)
		}
		if len(trainEmb) != len(sample) || len(testEmb) != len(test) {
			return SetFitResult{}, fmt.Errorf("setfit protocol seed %d: got %d/%d embeddings for %d train and %d test texts",
				seed, len(trainEmb), len(testEmb), len(sample), len(test))
		}
		labels := make([]string, len(sample))
		for i, ex := range sample {
			labels[i] = ex.Label
		}
		c := newClassifier()
		if c == nil {
			return SetFitResult{}, errors.New("setfit protocol: classifier factory returned nil")
		}
		if err := c.Fit(trainEmb, labels); err != nil {
			return SetFitResult{}, fmt.Errorf("setfit protocol seed %d fit: %w", seed, err)
		}
		preds, err := c.Predict(testEmb)
		if err != nil {
			return SetFitResult{}, fmt.Errorf("setfit protocol seed %d predict: %w", seed, err)
		}
		pl := make([]string, len(preds))
		for i, p := range preds {
			pl[i] = p.Label
		}
		acc, err := Accuracy(gold, pl)
		if err != nil {
			return SetFitResult{}, fmt.Errorf("setfit protocol seed %d: %w", seed, err)
		}
		f1, err := MacroF1(gold, pl)
		if err != nil {
			return SetFitResult{}, fmt.Errorf("setfit protocol seed %d: %w", seed, err)
		}
		res.Runs = append(res.Runs, SetFitRun{Seed: seed, TrainSize: len(sample), Accuracy: acc, MacroF1: f1})
		accs, f1s = append(accs, acc), append(f1s, f1)
	}
	res.AccuracyMean, res.AccuracySD = meanSD(accs, 0)
	res.MacroF1Mean, res.MacroF1SD = meanSD(f1s, 0)
	return res, nil
}

// STSResult is the outcome of an STS evaluation.
type STSResult struct {
	// Spearman and Pearson correlate the pairs' cosine similarities with
	// their gold scores.
	Spearman float64 `json:"spearman"`
	Pearson  float64 `json:"pearson"`
	// Pairs is the number of pairs scored.
	Pairs int `json:"pairs"`
}

// EvaluateSTS embeds every distinct sentence of pairs once (one Embed call),
// takes the cosine similarity of each pair and correlates it with the gold
// scores, as sentence-transformers' EmbeddingSimilarityEvaluator reports
// spearman_cosine and pearson_cosine.
func EvaluateSTS(ctx context.Context, e classify.Embedder, pairs []dataset.Pair) (STSResult, error) {
	if len(pairs) < 2 {
		return STSResult{}, fmt.Errorf("sts: need at least 2 pairs, have %d", len(pairs))
	}
	index := map[string]int{}
	var texts []string
	add := func(s string) {
		if _, ok := index[s]; !ok {
			index[s] = len(texts)
			texts = append(texts, s)
		}
	}
	for _, p := range pairs {
		add(p.A)
		add(p.B)
	}
	emb, err := classify.Embed(ctx, e, texts)
	if err != nil {
		return STSResult{}, fmt.Errorf("sts: %w", err)
	}
	cos := make([]float64, len(pairs))
	gold := make([]float64, len(pairs))
	for i, p := range pairs {
		if cos[i], err = classify.CosineSimilarity(emb[index[p.A]], emb[index[p.B]]); err != nil {
			return STSResult{}, fmt.Errorf("sts pair %d: %w", i, err)
		}
		gold[i] = p.Score
	}
	sp, err := Spearman(cos, gold)
	if err != nil {
		return STSResult{}, fmt.Errorf("sts: %w", err)
	}
	pe, err := Pearson(cos, gold)
	if err != nil {
		return STSResult{}, fmt.Errorf("sts: %w", err)
	}
	return STSResult{Spearman: sp, Pearson: pe, Pairs: len(pairs)}, nil
}
