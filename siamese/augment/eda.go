package augment

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// EDAConfig sets the four EDA operations' strengths and how many variants Augment returns.
type EDAConfig struct {
	// AlphaSR is the fraction of words synonym replacement changes: n = max(1, int(AlphaSR*#words)).
	// 0 turns the operation off.
	AlphaSR float64
	// AlphaRI is the fraction of words random insertion adds, counted the same way. 0 turns it off.
	AlphaRI float64
	// AlphaRS is the fraction of words random swap swaps, counted the same way. 0 turns it off.
	AlphaRS float64
	// PRD is the probability that random deletion drops each word. 0 turns it off.
	PRD float64
	// NumAug is how many variants Augment returns per input (at least 1).
	NumAug int
}

// DefaultEDA returns alpha = p = 0.1 for all four operations and NumAug = 4. The rates are the
// reference code's defaults and the paper's suggestion for every training-set size. NumAug is
// the paper's setting for large sets rather than the 16 it suggests for 500 examples, because
// here augmentation runs on the fly: the trainer draws a fresh variant every time it sees an
// example, so over the epochs a few-shot set gets many more than NumAug variants anyway, and a
// larger NumAug only costs time per call.
func DefaultEDA() EDAConfig {
	return EDAConfig{AlphaSR: 0.1, AlphaRI: 0.1, AlphaRS: 0.1, PRD: 0.1, NumAug: 4}
}

// validate checks that every rate is in [0, 1] and NumAug >= 1.
func (c EDAConfig) validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"AlphaSR", c.AlphaSR}, {"AlphaRI", c.AlphaRI}, {"AlphaRS", c.AlphaRS}, {"PRD", c.PRD}} {
		if !(r.v >= 0 && r.v <= 1) { // also rejects NaN
			return fmt.Errorf("eda: %s = %v, want a value in [0, 1]", r.name, r.v)
		}
	}
	if c.NumAug < 1 {
		return fmt.Errorf("eda: NumAug = %d, want at least 1", c.NumAug)
	}
	return nil
}

// Op is one EDA operation.
type Op int

const (
	// SR is synonym replacement: n distinct non-stop words are each replaced (every occurrence)
	// by a random WordNet synonym.
	SR Op = iota
	// RI is random insertion: n times, a random synonym of a random non-stop word is inserted at
	// a random word position.
	RI
	// RS is random swap: n times, two random words trade places.
	RS
	// RD is random deletion: each word is dropped with probability PRD; at least one word stays.
	RD
)

// String returns the operation's short name.
func (o Op) String() string {
	switch o {
	case SR:
		return "SR"
	case RI:
		return "RI"
	case RS:
		return "RS"
	case RD:
		return "RD"
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// EDA is Easy Data Augmentation (Wei & Zou 2019) on raw text. Unlike the reference code it
// keeps case and punctuation: the text is cut into word tokens and separators, only word tokens
// are replaced, inserted, swapped or deleted, a replacement takes the capitalisation of the word
// it replaces (Title or UPPER), and the separators stay as they were. An EDA is read-only after
// NewEDA and safe for concurrent use with one *rand.Rand per goroutine.
type EDA struct {
	wn    *WordNet
	cfg   EDAConfig
	stop  stopSet
	ops   []Op // the operations with a non-zero rate, in SR, RI, RS, RD order
	rates [4]float64
}

// NewEDA checks cfg and returns an EDA drawing synonyms from wn. wn may be nil only when
// AlphaSR and AlphaRI are both 0.
func NewEDA(wn *WordNet, cfg EDAConfig) (*EDA, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if wn == nil && (cfg.AlphaSR > 0 || cfg.AlphaRI > 0) {
		return nil, fmt.Errorf("eda: synonym replacement and random insertion need WordNet (load it with LoadWordNet) or AlphaSR = AlphaRI = 0")
	}
	e := &EDA{wn: wn, cfg: cfg, stop: newStopSet(StopWords())}
	e.rates = [4]float64{cfg.AlphaSR, cfg.AlphaRI, cfg.AlphaRS, cfg.PRD}
	for op, r := range e.rates {
		if r > 0 {
			e.ops = append(e.ops, Op(op))
		}
	}
	return e, nil
}

// Config returns the configuration the EDA was built with.
func (e *EDA) Config() EDAConfig {
	return e.cfg
}

// Ops returns the enabled operations (those with a non-zero rate).
func (e *EDA) Ops() []Op {
	return append([]Op(nil), e.ops...)
}

// Augment returns NumAug variants of text, each made by one operation, picked as the reference
// does: NumAug/k+1 slots per enabled operation (k of them; with all four that is the reference's
// int(num_aug/4)+1), shuffled and cut to NumAug. Only the chosen slots are computed. Unlike the
// reference the original text is not appended. With every rate 0, no words, or a nil rng, it
// returns NumAug copies of text. The same rng state gives the same result.
func (e *EDA) Augment(text string, rng *rand.Rand) []string {
	out := make([]string, e.cfg.NumAug)
	seq := splitWords(text)
	if len(e.ops) == 0 || len(seq.words) == 0 || rng == nil {
		for i := range out {
			out[i] = text
		}
		return out
	}
	per := e.cfg.NumAug/len(e.ops) + 1
	slots := make([]Op, 0, per*len(e.ops))
	for _, op := range e.ops {
		for range per {
			slots = append(slots, op)
		}
	}
	rng.Shuffle(len(slots), func(i, j int) { slots[i], slots[j] = slots[j], slots[i] })
	for i := range out {
		out[i] = e.apply(slots[i], seq, rng)
	}
	return out
}

// One returns a single variant: one enabled operation chosen uniformly at random, applied to
// text. This has the same distribution as picking one of Augment's variants at random (every
// slot is equally likely and each operation has the same number of slots) at a quarter of the
// cost. With no enabled operation, no words or a nil rng it returns text.
func (e *EDA) One(text string, rng *rand.Rand) string {
	if len(e.ops) == 0 || rng == nil {
		return text
	}
	seq := splitWords(text)
	if len(seq.words) == 0 {
		return text
	}
	return e.apply(e.ops[rng.IntN(len(e.ops))], seq, rng)
}

// Apply runs one operation on text with its configured rate. An operation whose rate is 0,
// an unknown op or a nil rng returns text unchanged.
func (e *EDA) Apply(op Op, text string, rng *rand.Rand) string {
	if op < SR || op > RD || e.rates[op] == 0 || rng == nil {
		return text
	}
	seq := splitWords(text)
	if len(seq.words) == 0 {
		return text
	}
	return e.apply(op, seq, rng)
}

// apply runs op on seq (left unchanged) and joins the result.
func (e *EDA) apply(op Op, seq wordSeq, rng *rand.Rand) string {
	switch op {
	case SR:
		return e.synonymReplacement(seq, countFor(e.cfg.AlphaSR, len(seq.words)), rng)
	case RI:
		return e.randomInsertion(seq, countFor(e.cfg.AlphaRI, len(seq.words)), rng)
	case RS:
		return randomSwap(seq, countFor(e.cfg.AlphaRS, len(seq.words)), rng)
	default:
		return randomDeletion(seq, e.cfg.PRD, rng)
	}
}

// countFor is the reference's n = max(1, int(alpha*words)), with a small tolerance so that
// products such as 0.29*100 = 28.999999999999996 count as the 29 they mean.
func countFor(alpha float64, words int) int {
	return max(1, int(alpha*float64(words)+1e-9))
}

// candidate reports whether a word may be replaced or be the source of an insertion:
// it has a letter and is not a stop word.
func (e *EDA) candidate(word string) bool {
	return hasLetter(word) && !e.stop.has(word)
}

// synonyms returns the WordNet synonyms of word usable as a replacement: ones that differ from
// the word other than by case.
func (e *EDA) synonyms(word string) []string {
	if e.wn == nil {
		return nil
	}
	return e.wn.Synonyms(wordKey(word))
}

// synonymReplacement replaces up to n distinct candidate words (compared case-insensitively)
// by random synonyms, every occurrence, each occurrence keeping its own capitalisation.
func (e *EDA) synonymReplacement(seq wordSeq, n int, rng *rand.Rand) string {
	var keys []string
	seen := map[string]bool{}
	for _, w := range seq.words {
		k := wordKey(w)
		if !seen[k] && e.candidate(w) {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	out := seq.clone()
	replaced := 0
	for _, k := range keys {
		if replaced >= n {
			break
		}
		syns := e.synonyms(k)
		if len(syns) == 0 {
			continue
		}
		syn := syns[rng.IntN(len(syns))]
		for i, w := range seq.words {
			if wordKey(w) == k {
				out.words[i] = applyCase(caseOf(w), syn)
			}
		}
		replaced++
	}
	return out.join()
}

// randomInsertion inserts, n times, a random synonym of a random candidate word of the input
// (chosen by position, so repeated words weigh more) at a random word position, from before
// the first word to after the last, separated by one space. The inserted lemma keeps
// WordNet's spelling.
func (e *EDA) randomInsertion(seq wordSeq, n int, rng *rand.Rand) string {
	var sources [][]string
	cache := map[string][]string{}
	for _, w := range seq.words {
		if !e.candidate(w) {
			continue
		}
		k := wordKey(w)
		syns, ok := cache[k]
		if !ok {
			syns = e.synonyms(k)
			cache[k] = syns
		}
		if len(syns) > 0 {
			sources = append(sources, syns)
		}
	}
	if len(sources) == 0 {
		return seq.join()
	}
	out := seq.clone()
	for range n {
		syns := sources[rng.IntN(len(sources))]
		syn := syns[rng.IntN(len(syns))]
		at := rng.IntN(len(out.words) + 1)
		// Before word at: seps[at] stays before the new word and a space follows it.
		// After the last word: a space goes before the new word and seps[n] follows it.
		sepAt := at + 1
		if at == len(out.words) {
			sepAt = at
		}
		out.words = insertAt(out.words, at, syn)
		out.seps = insertAt(out.seps, sepAt, " ")
	}
	return out.join()
}

// insertAt inserts v before index i of s.
func insertAt(s []string, i int, v string) []string {
	s = append(s, "")
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

// randomSwap swaps two distinct random words n times (nothing with fewer than two words).
// The words move as they are, capitalisation included.
func randomSwap(seq wordSeq, n int, rng *rand.Rand) string {
	out := seq.clone()
	if len(out.words) >= 2 {
		for range n {
			i := rng.IntN(len(out.words))
			j := rng.IntN(len(out.words) - 1)
			if j >= i {
				j++
			}
			out.words[i], out.words[j] = out.words[j], out.words[i]
		}
	}
	return out.join()
}

// randomDeletion drops each word with probability p; a one-word text is left alone and, if
// every word was drawn for deletion, one random word stays, so the result is never empty.
func randomDeletion(seq wordSeq, p float64, rng *rand.Rand) string {
	n := len(seq.words)
	if n <= 1 {
		return seq.join()
	}
	keep := make([]bool, n)
	kept := 0
	for i := range keep {
		if rng.Float64() >= p {
			keep[i] = true
			kept++
		}
	}
	if kept == 0 {
		keep[rng.IntN(n)] = true
	}
	return joinKept(seq, keep)
}

// joinKept joins the words of seq whose keep flag is set. The text's leading and trailing
// separators stay; the separators around each run of dropped words are merged (see mergeSeps).
func joinKept(seq wordSeq, keep []bool) string {
	var b strings.Builder
	prev := -1 // index of the last kept word
	for i, w := range seq.words {
		if !keep[i] {
			continue
		}
		if prev < 0 {
			b.WriteString(seq.seps[0])
		} else {
			b.WriteString(mergeSeps(seq.seps[prev+1 : i+1]))
		}
		b.WriteString(w)
		prev = i
	}
	b.WriteString(seq.seps[len(seq.words)])
	return b.String()
}

// mergeSeps joins the separators that surrounded a run of deleted words into one, so that
// "a b c" minus b reads "a c" and "The cat, sat" minus cat reads "The, sat": where one part
// ends in white space and the next begins with white space, the second's leading space goes;
// where the next begins with punctuation, the first's trailing space goes.
func mergeSeps(parts []string) string {
	s := parts[0]
	for _, t := range parts[1:] {
		endsSpace := s != "" && strings.IndexByte(asciiSpace, s[len(s)-1]) >= 0
		switch {
		case t == "" || !endsSpace:
			s += t
		case strings.IndexByte(asciiSpace, t[0]) >= 0:
			s += strings.TrimLeft(t, asciiSpace)
		default:
			s = strings.TrimRight(s, asciiSpace) + t
		}
	}
	return s
}

// asciiSpace is the white space mergeSeps knows; other spacing characters count as punctuation.
const asciiSpace = " \t\n\r\v\f"
