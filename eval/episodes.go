package eval

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/internal/seeded"
)

// EpisodeConfig configures episodic k-way n-shot evaluation.
type EpisodeConfig struct {
	// Way is the number of classes per episode (at least 2).
	Way int
	// Shot is the number of support examples per class (at least 1).
	Shot int
	// Query is the number of query examples per class (at least 1).
	Query int
	// Episodes is the number of episodes (at least 1; 1000 is usual).
	Episodes int
	// Seed seeds the sampler; the same seed gives the same episodes.
	Seed uint64
}

// Episode is one sampled task: indices into the labelled set.
type Episode struct {
	// Classes are the episode's labels, in sampling order.
	Classes []string
	// Support holds Shot indices per class, class after class.
	Support []int
	// Query holds Query indices per class, class after class.
	Query []int
}

// EpisodeResult summarises an episodic evaluation.
type EpisodeResult struct {
	// Accuracy is the mean query accuracy over episodes.
	Accuracy float64 `json:"accuracy"`
	// CI95 is the half-width of the 95% confidence interval of Accuracy
	// (see MeanCI95).
	CI95 float64 `json:"ci95"`
	// Episodes, Way, Shot and Query repeat the configuration.
	Episodes int `json:"episodes"`
	Way      int `json:"way"`
	Shot     int `json:"shot"`
	Query    int `json:"query"`
	// PerEpisode holds each episode's accuracy.
	PerEpisode []float64 `json:"per_episode,omitempty"`
}

// SampleEpisodes draws cfg.Episodes episodes from a labelled set (one label
// per example). Each episode picks Way distinct classes uniformly among the
// classes that have at least Shot+Query examples, then Shot support and
// Query query examples per class, without replacement, so support and query
// never share an example. Sampling is seeded (math/rand/v2 PCG) and
// deterministic.
func SampleEpisodes(labels []string, cfg EpisodeConfig) ([]Episode, error) {
	if cfg.Episodes < 1 {
		return nil, fmt.Errorf("episodes: need at least 1 episode, got %d", cfg.Episodes)
	}
	if cfg.Way < 2 {
		return nil, fmt.Errorf("episodes: way must be at least 2, got %d", cfg.Way)
	}
	if cfg.Shot < 1 || cfg.Query < 1 {
		return nil, fmt.Errorf("episodes: shot and query must be at least 1, got shot %d query %d", cfg.Shot, cfg.Query)
	}
	if len(labels) == 0 {
		return nil, errors.New("episodes: empty labelled set")
	}
	byClass := map[string][]int{}
	for i, l := range labels {
		if l == "" {
			return nil, fmt.Errorf("episodes: example %d has an empty label", i)
		}
		byClass[l] = append(byClass[l], i)
	}
	need := cfg.Shot + cfg.Query
	var eligible []string
	largest := 0
	for l, idx := range byClass {
		largest = max(largest, len(idx))
		if len(idx) >= need {
			eligible = append(eligible, l)
		}
	}
	sort.Strings(eligible)
	if len(eligible) == 0 {
		return nil, fmt.Errorf("episodes: shot+query = %d is larger than every class (the largest of %d classes has %d examples)",
			need, len(byClass), largest)
	}
	if cfg.Way > len(eligible) {
		return nil, fmt.Errorf("episodes: way %d is more than the %d classes (of %d) that have at least shot+query = %d examples",
			cfg.Way, len(eligible), len(byClass), need)
	}
	rng := seeded.New(cfg.Seed)
	out := make([]Episode, cfg.Episodes)
	classes := append([]string(nil), eligible...)
	for e := range out {
		// Partial Fisher-Yates: the first Way entries are a uniform sample.
		for i := 0; i < cfg.Way; i++ {
			j := i + rng.IntN(len(classes)-i)
			classes[i], classes[j] = classes[j], classes[i]
		}
		ep := Episode{
			Classes: append([]string(nil), classes[:cfg.Way]...),
			Support: make([]int, 0, cfg.Way*cfg.Shot),
			Query:   make([]int, 0, cfg.Way*cfg.Query),
		}
		for _, c := range ep.Classes {
			pool := append([]int(nil), byClass[c]...)
			for i := 0; i < need; i++ {
				j := i + rng.IntN(len(pool)-i)
				pool[i], pool[j] = pool[j], pool[i]
			}
			ep.Support = append(ep.Support, pool[:cfg.Shot]...)
			ep.Query = append(ep.Query, pool[cfg.Shot:need]...)
		}
		out[e] = ep
	}
	return out, nil
}

// EvaluateEpisodes runs episodic k-way n-shot evaluation over an
// already-embedded labelled set: for every episode from SampleEpisodes it
// fits a fresh classifier from newClassifier on the support embeddings and
// scores it on the query embeddings. It returns the mean accuracy and its
// 95% confidence half-width. ctx is checked between episodes.
func EvaluateEpisodes(ctx context.Context, emb [][]float32, labels []string, cfg EpisodeConfig, newClassifier func() classify.Classifier) (EpisodeResult, error) {
	if len(emb) != len(labels) {
		return EpisodeResult{}, fmt.Errorf("episodes: %d embeddings but %d labels", len(emb), len(labels))
	}
	if newClassifier == nil {
		return EpisodeResult{}, errors.New("episodes: no classifier factory")
	}
	episodes, err := SampleEpisodes(labels, cfg)
	if err != nil {
		return EpisodeResult{}, err
	}
	accs := make([]float64, len(episodes))
	for e, ep := range episodes {
		if err := ctx.Err(); err != nil {
			return EpisodeResult{}, fmt.Errorf("episode %d: %w", e, err)
		}
		acc, err := runEpisode(emb, labels, ep, newClassifier())
		if err != nil {
			return EpisodeResult{}, fmt.Errorf("episode %d (%v): %w", e, ep.Classes, err)
		}
		accs[e] = acc
	}
	mean, ci, err := MeanCI95(accs)
	if err != nil {
		return EpisodeResult{}, err
	}
	return EpisodeResult{Accuracy: mean, CI95: ci, Episodes: cfg.Episodes, Way: cfg.Way, Shot: cfg.Shot, Query: cfg.Query, PerEpisode: accs}, nil
}

func runEpisode(emb [][]float32, labels []string, ep Episode, c classify.Classifier) (float64, error) {
	if c == nil {
		return 0, errors.New("classifier factory returned nil")
	}
	pick := func(idx []int) ([][]float32, []string) {
		e := make([][]float32, len(idx))
		l := make([]string, len(idx))
		for i, j := range idx {
			e[i], l[i] = emb[j], labels[j]
		}
		return e, l
	}
	se, sl := pick(ep.Support)
	if err := c.Fit(se, sl); err != nil {
		return 0, err
	}
	qe, ql := pick(ep.Query)
	preds, err := c.Predict(qe)
	if err != nil {
		return 0, err
	}
	pl := make([]string, len(preds))
	for i, p := range preds {
		pl[i] = p.Label
	}
	return Accuracy(ql, pl)
}
