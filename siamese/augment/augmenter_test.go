package augment

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSpec(t *testing.T) {
	def := DefaultEDA()
	tests := []struct {
		value  string
		eda    *EDAOptions
		cutoff *CutoffConfig
		str    string
	}{
		{"", nil, nil, "none"},
		{" none ", nil, nil, "none"},
		{"eda", &EDAOptions{Config: def, PIdentity: 0.2}, nil,
			"eda:sr=0.1:ri=0.1:rs=0.1:rd=0.1:n=4:identity=0.2"},
		{"eda,cutoff", &EDAOptions{Config: def, PIdentity: 0.2}, &CutoffConfig{Rate: 0.1, KeepSpecial: true},
			"eda:sr=0.1:ri=0.1:rs=0.1:rd=0.1:n=4:identity=0.2,cutoff:rate=0.1:span=false:keep_special=true"},
		{"eda:alpha=0.05,cutoff:rate=0.2",
			&EDAOptions{Config: EDAConfig{AlphaSR: 0.05, AlphaRI: 0.05, AlphaRS: 0.05, PRD: 0.05, NumAug: 4}, PIdentity: 0.2},
			&CutoffConfig{Rate: 0.2, KeepSpecial: true}, ""},
		// sr overrides alpha whichever comes first; n=9 gives identity 1/10.
		{"EDA:sr=0.3:alpha=0.05, n=9",
			&EDAOptions{Config: EDAConfig{AlphaSR: 0.3, AlphaRI: 0.05, AlphaRS: 0.05, PRD: 0.05, NumAug: 9}, PIdentity: 0.1},
			nil, ""},
		{"eda:rd=0:ri=0,identity=0.5",
			&EDAOptions{Config: EDAConfig{AlphaSR: 0.1, AlphaRS: 0.1, NumAug: 4}, PIdentity: 0.5}, nil, ""},
		{"cutoff:span=true:keep_special=false,rate=1",
			nil, &CutoffConfig{Rate: 1, Span: true}, "cutoff:rate=1:span=true:keep_special=false"},
		{"cutoff,eda:n=1", &EDAOptions{Config: EDAConfig{AlphaSR: 0.1, AlphaRI: 0.1, AlphaRS: 0.1, PRD: 0.1, NumAug: 1}, PIdentity: 0.5},
			&CutoffConfig{Rate: 0.1, KeepSpecial: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			s, err := ParseSpec("augment", tt.value)
			require.NoError(t, err)
			assert.Equal(t, tt.eda, s.EDA)
			assert.Equal(t, tt.cutoff, s.Cutoff)
			assert.Equal(t, tt.eda != nil || tt.cutoff != nil, s.Enabled())
			if tt.str != "" {
				assert.Equal(t, tt.str, s.String())
			}
			// String is itself a valid flag value that parses back to the same spec.
			again, err := ParseSpec("augment", s.String())
			require.NoError(t, err)
			assert.Equal(t, s, again)
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	tests := []struct {
		value, want string
	}{
		{"bert", `unknown augmentation "bert" (want eda or cutoff)`},
		{"eda,,cutoff", "entry 2 is empty"},
		{"eda,", "entry 2 is empty"},
		{"eda,eda", "eda is given twice"},
		{"none,eda", `"none" cannot be combined`},
		{"alpha=0.1,eda", `parameter "alpha=0.1" comes before any augmentation name`},
		{"eda:alpha", `eda parameter "alpha" is not key=value`},
		{"eda:", `eda parameter "" is not key=value`},
		{"eda:alpha=", `eda parameter "alpha=" is not key=value`},
		{"eda:alpha=0.1:alpha=0.2", "eda parameter alpha is given twice"},
		{"eda:alpha=abc", "eda: alpha=abc is not a number"},
		{"eda:sr=1.5", "eda: sr=1.5 is outside [0, 1]"},
		{"eda:rd=-0.1", "eda: rd=-0.1 is outside [0, 1]"},
		{"eda:identity=2", "eda: identity=2 is outside [0, 1]"},
		{"eda:n=0", "eda: n=0 must be at least 1"},
		{"eda:n=2.5", "eda: n=2.5 is not a whole number"},
		{"eda:beta=1", `eda: no parameter "beta" (want alpha, sr, ri, rs, rd, n or identity)`},
		{"cutoff:rate=0.1,rate=0.2", "cutoff parameter rate is given twice"},
		{"cutoff:rate=x", "cutoff: rate=x is not a number"},
		{"cutoff:span=maybe", "cutoff: span=maybe is not true or false"},
		{"cutoff:alpha=0.1", `cutoff: no parameter "alpha" (want rate, span or keep_special)`},
		{"eda,cutoff:rate=0.1,sr=0.2", `cutoff: no parameter "sr"`}, // continues cutoff, not eda
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			_, err := ParseSpec("--augment", tt.value)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "flag --augment=")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSpecBuild(t *testing.T) {
	s, err := ParseSpec("augment", "eda:sr=0:ri=0:rs=0.5:rd=0:identity=0,cutoff:rate=0.3:span=true")
	require.NoError(t, err)
	assert.False(t, s.NeedsWordNet())
	a, err := s.TextAugmenter(nil)
	require.NoError(t, err)
	assert.Equal(t, "blue red", a.Augment("red blue", newRNG(1)), "RS only, never identity")
	ids, mask := seqOf(10, 0)
	_, m, err := s.TokenAugmenter().AugmentTokens(ids, mask, newRNG(1))
	require.NoError(t, err)
	assert.Len(t, zeros(m), 3)

	s, err = ParseSpec("augment", "eda")
	require.NoError(t, err)
	assert.True(t, s.NeedsWordNet())
	_, err = s.TextAugmenter(nil)
	assert.ErrorContains(t, err, "need WordNet")
	a, err = s.TextAugmenter(loadTestWordNet(t))
	require.NoError(t, err)
	assert.IsType(t, &EDAAugmenter{}, a)
	assert.Nil(t, s.TokenAugmenter())

	s, err = ParseSpec("augment", "none")
	require.NoError(t, err)
	a, err = s.TextAugmenter(nil)
	require.NoError(t, err)
	assert.Equal(t, Identity{}, a)
	assert.Nil(t, s.TokenAugmenter())
}
