package augment

import (
	"fmt"
	"math/rand/v2"
)

// Cutoff is token cutoff (Shen et al. 2020, "A Simple but Tough-to-Beat Data Augmentation
// Approach"): it returns copies of ids and mask in which the mask is 0 at a random rate fraction
// of the candidate tokens, chosen without replacement. Call it on one tokenised sequence before
// padding. ids come back unchanged (the mask alone hides a token from attention and pooling).
//
// Candidates are the positions whose mask is non-zero; with keepSpecial the first and the last
// of them (the [CLS]/<s> and [SEP]/</s> a sentence-transformers tokenizer adds to a single
// sentence) are never cut. The count is max(1, int(rate*candidates)) for rate > 0, as EDA counts,
// but at most candidates-1, so at least one candidate always stays; rate 0 or fewer than two
// candidates leave the mask as it is. It returns an error when the lengths differ or rate is
// outside [0, 1], and on a nil rng.
func Cutoff(ids, mask []int64, rate float64, keepSpecial bool, rng *rand.Rand) ([]int64, []int64, error) {
	return cutoff(ids, mask, rate, keepSpecial, false, rng)
}

// CutoffSpan is span cutoff (Shen et al. 2020): like Cutoff, with the same count and candidates,
// but the cut tokens are one contiguous run of candidates starting at a uniformly random place.
func CutoffSpan(ids, mask []int64, rate float64, keepSpecial bool, rng *rand.Rand) ([]int64, []int64, error) {
	return cutoff(ids, mask, rate, keepSpecial, true, rng)
}

// cutoff implements Cutoff and CutoffSpan.
func cutoff(ids, mask []int64, rate float64, keepSpecial, span bool, rng *rand.Rand) ([]int64, []int64, error) {
	if len(ids) != len(mask) {
		return nil, nil, fmt.Errorf("cutoff: %d ids but %d mask values", len(ids), len(mask))
	}
	if !(rate >= 0 && rate <= 1) {
		return nil, nil, fmt.Errorf("cutoff: rate %v, want a value in [0, 1]", rate)
	}
	if rng == nil {
		return nil, nil, fmt.Errorf("cutoff: nil random source")
	}
	outIDs := append([]int64(nil), ids...)
	outMask := append([]int64(nil), mask...)
	var cand []int
	for i, m := range mask {
		if m != 0 {
			cand = append(cand, i)
		}
	}
	if keepSpecial {
		if len(cand) <= 2 {
			cand = nil
		} else {
			cand = cand[1 : len(cand)-1]
		}
	}
	n := cutoffCount(rate, len(cand))
	if n == 0 {
		return outIDs, outMask, nil
	}
	if span {
		start := rng.IntN(len(cand) - n + 1)
		for _, p := range cand[start : start+n] {
			outMask[p] = 0
		}
		return outIDs, outMask, nil
	}
	// Partial Fisher-Yates: the first n entries become a uniform random n-subset.
	for i := range n {
		j := i + rng.IntN(len(cand)-i)
		cand[i], cand[j] = cand[j], cand[i]
		outMask[cand[i]] = 0
	}
	return outIDs, outMask, nil
}

// cutoffCount is how many of k candidates a cutoff at rate removes: 0 for rate 0 or k < 2,
// otherwise max(1, int(rate*k)) capped at k-1.
func cutoffCount(rate float64, k int) int {
	if rate == 0 || k < 2 {
		return 0
	}
	return min(countFor(rate, k), k-1)
}

// TokenAugmenter changes one tokenised sequence (ids and attention mask, before padding).
type TokenAugmenter interface {
	// AugmentTokens returns new ids and mask slices; the inputs are not modified.
	AugmentTokens(ids, mask []int64, rng *rand.Rand) ([]int64, []int64, error)
}

// CutoffConfig is a TokenAugmenter doing token or span cutoff.
type CutoffConfig struct {
	// Rate is the fraction of candidate tokens cut, in [0, 1].
	Rate float64
	// Span cuts one contiguous run instead of scattered tokens.
	Span bool
	// KeepSpecial protects the first and last attended tokens ([CLS] and [SEP]).
	KeepSpecial bool
}

// DefaultCutoff returns token cutoff at rate 0.1 keeping the special tokens: a mild setting,
// the same strength as EDA's default, to be raised only when measurements on the data set
// say so.
func DefaultCutoff() CutoffConfig {
	return CutoffConfig{Rate: 0.1, KeepSpecial: true}
}

// AugmentTokens applies Cutoff or CutoffSpan with the configured settings.
func (c CutoffConfig) AugmentTokens(ids, mask []int64, rng *rand.Rand) ([]int64, []int64, error) {
	return cutoff(ids, mask, c.Rate, c.KeepSpecial, c.Span, rng)
}
