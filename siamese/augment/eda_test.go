package augment

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newRNG returns a seeded generator.
func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// newTestEDA builds an EDA over testdata/wn.
func newTestEDA(t *testing.T, cfg EDAConfig) *EDA {
	t.Helper()
	e, err := NewEDA(loadTestWordNet(t), cfg)
	require.NoError(t, err)
	return e
}

func TestNewEDAValidation(t *testing.T) {
	wn := loadTestWordNet(t)
	tests := []struct {
		name    string
		wn      *WordNet
		cfg     EDAConfig
		wantErr string
	}{
		{"default", wn, DefaultEDA(), ""},
		{"all zero", wn, EDAConfig{NumAug: 1}, ""},
		{"all one", wn, EDAConfig{AlphaSR: 1, AlphaRI: 1, AlphaRS: 1, PRD: 1, NumAug: 1}, ""},
		{"negative", wn, EDAConfig{AlphaSR: -0.1, NumAug: 1}, "AlphaSR = -0.1"},
		{"above one", wn, EDAConfig{AlphaRS: 1.5, NumAug: 1}, "AlphaRS = 1.5"},
		{"NaN", wn, EDAConfig{PRD: math.NaN(), NumAug: 1}, "PRD = NaN"},
		{"NumAug 0", wn, EDAConfig{AlphaSR: 0.1}, "NumAug = 0"},
		{"no WordNet for SR", nil, EDAConfig{AlphaSR: 0.1, NumAug: 1}, "need WordNet"},
		{"no WordNet for RI", nil, EDAConfig{AlphaRI: 0.1, NumAug: 1}, "need WordNet"},
		{"no WordNet needed", nil, EDAConfig{AlphaRS: 0.1, PRD: 0.1, NumAug: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := NewEDA(tt.wn, tt.cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.cfg, e.Config())
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestCountFor(t *testing.T) {
	tests := []struct {
		alpha float64
		words int
		want  int
	}{
		{0.1, 5, 1}, {0.1, 9, 1}, {0.1, 10, 1}, {0.1, 19, 1}, {0.1, 20, 2},
		{0.3, 10, 3}, {0.29, 100, 29}, {0.7, 10, 7}, {1, 7, 7}, {0.5, 1, 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, countFor(tt.alpha, tt.words), "alpha %v, %d words", tt.alpha, tt.words)
	}
}

func TestEDAZeroRatesIdentity(t *testing.T) {
	e := newTestEDA(t, EDAConfig{NumAug: 6})
	for _, text := range []string{"The Dog and the CAR!", "", "  ,,  ", "dog"} {
		assert.Equal(t, slices.Repeat([]string{text}, 6), e.Augment(text, newRNG(1)))
		assert.Equal(t, text, e.One(text, newRNG(1)))
		for op := SR; op <= RD; op++ {
			assert.Equal(t, text, e.Apply(op, text, newRNG(1)), op.String())
		}
	}
}

func TestEDASynonymReplacementExact(t *testing.T) {
	e := newTestEDA(t, EDAConfig{AlphaSR: 1, NumAug: 5})
	// Five words, n = 5: both candidates (Dog, CAR) are replaced; The/and/the are stop words.
	// dog -> domestic dog | Canis familiaris | pooch | chase, in Title case;
	// car -> auto | automobile, in UPPER case.
	want := map[string]bool{}
	for _, d := range []string{"Domestic dog", "Canis familiaris", "Pooch", "Chase"} {
		for _, c := range []string{"AUTO", "AUTOMOBILE"} {
			want["The "+d+" and the "+c+"!"] = true
		}
	}
	seen := map[string]bool{}
	for seed := range uint64(100) {
		for _, got := range e.Augment("The Dog and the CAR!", newRNG(seed)) {
			require.True(t, want[got], "unexpected %q", got)
			seen[got] = true
		}
	}
	assert.Len(t, seen, len(want), "every synonym pair shows up over 100 seeds")
}

func TestEDASynonymReplacementEveryOccurrence(t *testing.T) {
	e := newTestEDA(t, EDAConfig{AlphaSR: 0.1, NumAug: 3})
	syns := []string{"domestic dog", "Canis familiaris", "pooch", "chase"}
	for seed := range uint64(30) {
		for _, got := range e.Augment("dog bites Dog", newRNG(seed)) {
			// "bites" has no synonyms; both dogs take the same synonym, each its own case.
			ok := false
			for _, s := range syns {
				ok = ok || got == s+" bites "+applyCase(caseTitle, s)
			}
			assert.True(t, ok, "unexpected %q", got)
		}
	}
}

func TestEDASynonymReplacementCount(t *testing.T) {
	e := newTestEDA(t, EDAConfig{AlphaSR: 0.34, NumAug: 4})
	in := []string{"car", "happy", "quick"} // n = max(1, int(0.34*3)) = 1
	alt := map[string][]string{"car": {"auto", "automobile"}, "happy": {"glad", "felicitous"}, "quick": {"speedy"}}
	for seed := range uint64(50) {
		for _, got := range e.Augment(strings.Join(in, " "), newRNG(seed)) {
			words := strings.Split(got, " ")
			require.Len(t, words, 3, got)
			changed := 0
			for i, w := range words {
				if w != in[i] {
					changed++
					assert.Contains(t, alt[in[i]], w)
				}
			}
			assert.Equal(t, 1, changed, got)
		}
	}
}

func TestEDAStopWordsNeverUsed(t *testing.T) {
	wn := loadTestWordNet(t)
	require.NotEmpty(t, wn.Synonyms("will"), "testdata gives the stop word will a synonym")
	require.NotEmpty(t, wn.Synonyms("can"), "testdata gives the stop word can a synonym")
	e, err := NewEDA(wn, EDAConfig{AlphaSR: 1, AlphaRI: 1, NumAug: 8})
	require.NoError(t, err)
	sr, err := NewEDA(wn, EDAConfig{AlphaSR: 1, NumAug: 4})
	require.NoError(t, err)
	ri, err := NewEDA(wn, EDAConfig{AlphaRI: 0.1, NumAug: 4})
	require.NoError(t, err)
	// Six words; quick -> speedy is the only candidate with a synonym (run has none).
	const text = "We will run a quick can"
	for seed := range uint64(20) {
		for _, in := range []string{"I will can it.", "WILL you? Can we!"} {
			assert.Equal(t, slices.Repeat([]string{in}, 8), e.Augment(in, newRNG(seed)))
		}
		for _, got := range sr.Augment(text, newRNG(seed)) {
			assert.Equal(t, "We will run a speedy can", got)
		}
		for _, got := range ri.Augment(text, newRNG(seed)) { // n = max(1, int(0.6)) = 1
			assert.Contains(t, []string{
				"speedy We will run a quick can", "We speedy will run a quick can",
				"We will speedy run a quick can", "We will run speedy a quick can",
				"We will run a speedy quick can", "We will run a quick speedy can",
				"We will run a quick can speedy",
			}, got)
		}
	}
}

func TestEDARandomInsertionExact(t *testing.T) {
	e := newTestEDA(t, EDAConfig{AlphaRI: 0.5, NumAug: 4})
	// Two words, n = 1; only dog has synonyms; three places to insert, WordNet spelling kept.
	want := map[string]bool{}
	for _, s := range []string{"domestic dog", "Canis familiaris", "pooch", "chase"} {
		want[s+" Dog ran."] = true
		want["Dog "+s+" ran."] = true
		want["Dog ran "+s+"."] = true
	}
	seen := map[string]bool{}
	for seed := range uint64(200) {
		for _, got := range e.Augment("Dog ran.", newRNG(seed)) {
			require.True(t, want[got], "unexpected %q", got)
			seen[got] = true
		}
	}
	assert.Len(t, seen, 12)
}

func TestEDARandomSwap(t *testing.T) {
	e := newTestEDA(t, EDAConfig{AlphaRS: 0.25, NumAug: 4})
	in := "Alpha, beta; gamma delta!" // four words, n = 1
	src := splitWords(in)
	for seed := range uint64(50) {
		for _, got := range e.Augment(in, newRNG(seed)) {
			out := splitWords(got)
			assert.Equal(t, src.seps, out.seps, "separators stay in place")
			assert.ElementsMatch(t, src.words, out.words)
			diff := 0
			for i := range src.words {
				if src.words[i] != out.words[i] {
					diff++
				}
			}
			assert.Equal(t, 2, diff, got)
		}
	}
	assert.Equal(t, []string{"Solo."}, e.Augment("Solo.", newRNG(1))[:1], "one word cannot be swapped")
	e2 := newTestEDA(t, EDAConfig{AlphaRS: 1, NumAug: 1})
	// n = max(1, int(1*2)) = 2 swaps of the only pair: the second undoes the first.
	assert.Equal(t, "red blue", e2.Apply(RS, "red blue", newRNG(3)))
}

func TestEDARandomDeletion(t *testing.T) {
	all := newTestEDA(t, EDAConfig{PRD: 1, NumAug: 3})
	seen := map[string]bool{}
	for seed := range uint64(60) {
		for _, got := range all.Augment("Hello, big world!", newRNG(seed)) {
			assert.Contains(t, []string{"Hello!", "big!", "world!"}, got, "p = 1 leaves exactly one word")
			seen[got] = true
		}
	}
	assert.Len(t, seen, 3)
	assert.Equal(t, []string{"Hello!", "Hello!", "Hello!"}, all.Augment("Hello!", newRNG(1)), "one word is never deleted")

	half := newTestEDA(t, EDAConfig{PRD: 0.5, NumAug: 4})
	in := "one two three four five six"
	for seed := range uint64(100) {
		for _, got := range half.Augment(in, newRNG(seed)) {
			words := strings.Fields(got)
			require.NotEmpty(t, words)
			// The survivors are a subsequence of the input, single-spaced.
			j := 0
			for _, w := range strings.Fields(in) {
				if j < len(words) && words[j] == w {
					j++
				}
			}
			assert.Equal(t, len(words), j, "%q is not a subsequence", got)
			assert.Equal(t, strings.Join(words, " "), got)
		}
	}
}

func TestEDAAugmentSlots(t *testing.T) {
	// Every op changes this text in a recognisable way: SR keeps 3 words with one replaced,
	// RI gives 4 words, RS permutes, RD (p = 1) leaves 1 word.
	e := newTestEDA(t, EDAConfig{AlphaSR: 0.34, AlphaRI: 0.34, AlphaRS: 0.34, PRD: 1, NumAug: 4})
	in := []string{"car", "happy", "quick"}
	classify := func(got string) Op {
		w := strings.Fields(got)
		switch {
		case len(w) == 4:
			return RI
		case len(w) == 1:
			return RD
		case slices.Equal(slices.Sorted(slices.Values(w)), slices.Sorted(slices.Values(in))):
			return RS
		}
		return SR
	}
	total := map[Op]int{}
	for seed := range uint64(300) {
		got := e.Augment(strings.Join(in, " "), newRNG(seed))
		require.Len(t, got, 4)
		per := map[Op]int{}
		for _, g := range got {
			per[classify(g)]++
			total[classify(g)]++
		}
		// The reference makes int(4/4)+1 = 2 candidates per op, so no op fills 3 of the 4.
		for op, n := range per {
			assert.LessOrEqual(t, n, 2, "seed %d: %v %d times", seed, op, n)
		}
	}
	for op := SR; op <= RD; op++ {
		assert.InDelta(t, 300, total[op], 60, "%v share over 1200 outputs", op)
	}
	// NumAug larger than the slots of one op: only RS enabled still gives NumAug outputs.
	rs := newTestEDA(t, EDAConfig{AlphaRS: 0.1, NumAug: 7})
	assert.Len(t, rs.Augment("red blue", newRNG(1)), 7)
	assert.Equal(t, slices.Repeat([]string{"blue red"}, 7), rs.Augment("red blue", newRNG(1)))
}

func TestEDADeterminism(t *testing.T) {
	for _, name := range []string{"testdata", "system"} {
		t.Run(name, func(t *testing.T) {
			var wn *WordNet
			if name == "system" {
				wn = loadSystemWordNet(t)
			} else {
				wn = loadTestWordNet(t)
			}
			e, err := NewEDA(wn, DefaultEDA())
			require.NoError(t, err)
			text := "The happy Dog quickly chased a speedy car, and the CAR's driver was glad!"
			first := e.Augment(text, newRNG(7))
			assert.Equal(t, first, e.Augment(text, newRNG(7)))
			differs := false
			for seed := range uint64(10) {
				differs = differs || !slices.Equal(first, e.Augment(text, newRNG(100+seed)))
			}
			assert.True(t, differs, "other seeds give other variants")
			// A shared rng moves on: two calls in a row differ, and replay from the same seed.
			r1, r2 := newRNG(9), newRNG(9)
			a, b := e.Augment(text, r1), e.Augment(text, r1)
			assert.Equal(t, a, e.Augment(text, r2))
			assert.Equal(t, b, e.Augment(text, r2))
		})
	}
}

func TestEDASystemStopWordsAndCase(t *testing.T) {
	wn := loadSystemWordNet(t)
	for _, w := range []string{"will", "can", "do", "have", "one", "more"} {
		require.NotEmpty(t, wn.Synonyms(w), "WordNet has synonyms for the stop word %q", w)
	}
	e, err := NewEDA(wn, EDAConfig{AlphaSR: 1, AlphaRI: 1, NumAug: 4})
	require.NoError(t, err)
	text := "Will you? One can do more, and I have!"
	for seed := range uint64(20) {
		assert.Equal(t, slices.Repeat([]string{text}, 4), e.Augment(text, newRNG(seed)))
	}
	// "happy" has exactly the synonyms well-chosen, felicitous and glad (see TestSystemWordNet).
	sr, err := NewEDA(wn, EDAConfig{AlphaSR: 1, NumAug: 4})
	require.NoError(t, err)
	for seed := range uint64(20) {
		for _, got := range sr.Augment("HAPPY, Happy, happy!", newRNG(seed)) {
			assert.Contains(t, []string{
				"WELL-CHOSEN, Well-chosen, well-chosen!",
				"FELICITOUS, Felicitous, felicitous!",
				"GLAD, Glad, glad!",
			}, got)
		}
	}
}

func TestEDAAugmenter(t *testing.T) {
	rs := newTestEDA(t, EDAConfig{AlphaRS: 0.5, NumAug: 4})
	_, err := NewEDAAugmenter(nil, 0)
	assert.Error(t, err)
	for _, p := range []float64{-0.1, 1.1, math.NaN()} {
		_, err := NewEDAAugmenter(rs, p)
		assert.Error(t, err, "identity %v", p)
	}
	always, err := NewEDAAugmenter(rs, 1)
	require.NoError(t, err)
	never, err := NewEDAAugmenter(rs, 0)
	require.NoError(t, err)
	fifth, err := NewEDAAugmenter(rs, DefaultPIdentity(4))
	require.NoError(t, err)
	rng := newRNG(5)
	same := 0
	const draws = 10000
	for range draws {
		require.Equal(t, "red blue", always.Augment("red blue", rng))
		require.Equal(t, "blue red", never.Augment("red blue", rng))
		if fifth.Augment("red blue", rng) == "red blue" {
			same++
		}
	}
	// Binomial(10000, 0.2): standard deviation 40, so +-200 is five of them.
	assert.InDelta(t, 0.2*draws, same, 200)
	assert.Equal(t, "red blue", never.Augment("red blue", nil), "nil rng: unchanged, no panic")
	assert.InDelta(t, 0.2, DefaultPIdentity(4), 1e-12)
	assert.InDelta(t, 0.1, DefaultPIdentity(9), 1e-12)
	var a Augmenter = Identity{}
	assert.Equal(t, "x y", a.Augment("x y", rng))
}
