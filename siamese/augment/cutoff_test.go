package augment

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seqOf returns ids 101, 1, 2, ..., n, 102 ([CLS] x n [SEP]) with an all-ones mask, followed by
// pad zeros with mask 0.
func seqOf(n, pad int) ([]int64, []int64) {
	ids := []int64{101}
	for i := 1; i <= n; i++ {
		ids = append(ids, int64(i))
	}
	ids = append(ids, 102)
	mask := make([]int64, len(ids), len(ids)+pad)
	for i := range mask {
		mask[i] = 1
	}
	for range pad {
		ids = append(ids, 0)
		mask = append(mask, 0)
	}
	return ids, mask
}

// zeros returns the positions where mask is 0.
func zeros(mask []int64) []int {
	var z []int
	for i, m := range mask {
		if m == 0 {
			z = append(z, i)
		}
	}
	return z
}

func TestCutoffCounts(t *testing.T) {
	tests := []struct {
		words       int
		rate        float64
		keepSpecial bool
		want        int // worked out by hand: max(1, int(rate*k)) capped at k-1, 0 for rate 0
	}{
		{10, 0.1, true, 1},
		{10, 0.25, true, 2},
		{10, 0.3, true, 3},
		{10, 0.05, true, 1},   // at least one
		{10, 1, true, 9},      // never all ten
		{10, 0, true, 0},      // off
		{100, 0.29, true, 29}, // 0.29*100 = 28.999999999999996 in float64
		{1, 0.5, true, 0},     // one candidate: cutting it would cut them all
		{2, 0.01, true, 1},
		{0, 0.5, true, 0},
		{10, 0.1, false, 1},  // 12 candidates with [CLS]/[SEP]: int(1.2) = 1
		{10, 0.25, false, 3}, // int(3.0) = 3
		{10, 1, false, 11},
	}
	for _, tt := range tests {
		for _, span := range []bool{false, true} {
			ids, mask := seqOf(tt.words, 3)
			origIDs := append([]int64(nil), ids...)
			origMask := append([]int64(nil), mask...)
			f := Cutoff
			if span {
				f = CutoffSpan
			}
			for seed := range uint64(20) {
				gotIDs, gotMask, err := f(ids, mask, tt.rate, tt.keepSpecial, newRNG(seed))
				require.NoError(t, err)
				assert.Equal(t, origIDs, gotIDs, "ids unchanged")
				assert.Equal(t, origMask, mask, "input mask untouched")
				z := zeros(gotMask)
				pads := len(ids) - tt.words - 2
				require.Len(t, z, tt.want+pads, "words %d rate %v keep %v span %v", tt.words, tt.rate, tt.keepSpecial, span)
				for _, p := range z[len(z)-pads:] {
					assert.Equal(t, int64(0), origMask[p], "padding stays out")
				}
				cut := z[:tt.want]
				if tt.keepSpecial {
					assert.NotContains(t, cut, 0, "[CLS] kept")
					assert.NotContains(t, cut, tt.words+1, "[SEP] kept")
				}
				if span && len(cut) > 0 {
					assert.Equal(t, len(cut)-1, cut[len(cut)-1]-cut[0], "one contiguous run: %v", cut)
				}
			}
		}
	}
}

func TestCutoffUniform(t *testing.T) {
	ids, mask := seqOf(4, 0) // positions 1..4 are candidates; one is cut each time
	rng := newRNG(11)
	counts := map[int]int{}
	spanStarts := map[int]int{}
	const draws = 8000
	for range draws {
		_, m, err := Cutoff(ids, mask, 0.25, true, rng)
		require.NoError(t, err)
		counts[zeros(m)[0]]++
		_, m, err = CutoffSpan(ids, mask, 0.5, true, rng) // two of four: starts 1, 2 or 3
		require.NoError(t, err)
		spanStarts[zeros(m)[0]]++
	}
	for p := 1; p <= 4; p++ {
		assert.InDelta(t, draws/4, counts[p], 200, "position %d", p) // sd about 39
	}
	for p := 1; p <= 3; p++ {
		assert.InDelta(t, draws/3, spanStarts[p], 220, "span start %d", p) // sd about 42
	}
}

func TestCutoffInnerZerosAndDeterminism(t *testing.T) {
	// A mask with a hole: candidates are the attended positions only, specials are the first
	// and last attended ones (1 and 6).
	ids := []int64{0, 101, 7, 8, 9, 102, 103, 0}
	mask := []int64{0, 1, 1, 0, 1, 1, 1, 0}
	_, m, err := Cutoff(ids, mask, 0.5, true, newRNG(3)) // candidates 2, 4, 5 -> int(1.5) = 1
	require.NoError(t, err)
	z := zeros(m)
	require.Len(t, z, 3+1)
	for _, p := range z {
		assert.Contains(t, []int{0, 3, 7, 2, 4, 5}, p)
	}
	a1, b1, err := CutoffSpan(ids, mask, 0.7, true, newRNG(42))
	require.NoError(t, err)
	a2, b2, err := CutoffSpan(ids, mask, 0.7, true, newRNG(42))
	require.NoError(t, err)
	assert.Equal(t, a1, a2)
	assert.Equal(t, b1, b2)
}

func TestCutoffErrors(t *testing.T) {
	ids, mask := seqOf(3, 0)
	tests := []struct {
		name    string
		ids     []int64
		mask    []int64
		rate    float64
		nilRNG  bool
		wantErr string
	}{
		{"length mismatch", ids, mask[:2], 0.1, false, "5 ids but 2 mask values"},
		{"negative rate", ids, mask, -0.1, false, "rate -0.1"},
		{"rate above one", ids, mask, 1.5, false, "rate 1.5"},
		{"NaN rate", ids, mask, math.NaN(), false, "rate NaN"},
		{"nil rng", ids, mask, 0.1, true, "nil random source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := newRNG(1)
			if tt.nilRNG {
				rng = nil
			}
			_, _, err := Cutoff(tt.ids, tt.mask, tt.rate, true, rng)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			_, _, err = CutoffSpan(tt.ids, tt.mask, tt.rate, true, rng)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	gotIDs, gotMask, err := Cutoff(nil, nil, 0.5, true, newRNG(1))
	require.NoError(t, err, "an empty sequence is not an error")
	assert.Empty(t, gotIDs)
	assert.Empty(t, gotMask)
}

func TestCutoffConfigTokenAugmenter(t *testing.T) {
	ids, mask := seqOf(10, 0)
	var ta TokenAugmenter = CutoffConfig{Rate: 0.3, Span: true, KeepSpecial: true}
	_, m, err := ta.AugmentTokens(ids, mask, newRNG(2))
	require.NoError(t, err)
	z := zeros(m)
	require.Len(t, z, 3)
	assert.Equal(t, []int{z[0], z[0] + 1, z[0] + 2}, z)
	assert.Equal(t, CutoffConfig{Rate: 0.1, KeepSpecial: true}, DefaultCutoff())
}
