package augment

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// wordSeq is a text cut into word tokens and the separators around them:
// text == seps[0] + words[0] + seps[1] + ... + words[n-1] + seps[n].
type wordSeq struct {
	seps  []string
	words []string
}

// isWordRune reports whether r can be part of a word token.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// isJoiner reports whether r joins two word runs into one token ("don't", "well-chosen").
func isJoiner(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '-'
}

// splitWords cuts text into words (runs of letters, digits and combining marks, with an
// apostrophe or hyphen allowed between two such runs) and the separators between them.
// Joining the parts back gives the text unchanged, byte for byte.
func splitWords(text string) wordSeq {
	var s wordSeq
	sepStart := 0
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) { // a word never starts with a combining mark
			i += size
			continue
		}
		// A word starts at i.
		s.seps = append(s.seps, text[sepStart:i])
		j := i + size
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if isWordRune(r) {
				j += size
				continue
			}
			if isJoiner(r) {
				if r2, _ := utf8.DecodeRuneInString(text[j+size:]); j+size < len(text) && isWordRune(r2) {
					j += size
					continue
				}
			}
			break
		}
		s.words = append(s.words, text[i:j])
		sepStart = j
		i = j
	}
	s.seps = append(s.seps, text[sepStart:])
	return s
}

// join puts the words and separators back together.
func (s wordSeq) join() string {
	var b strings.Builder
	n := 0
	for _, p := range s.seps {
		n += len(p)
	}
	for _, w := range s.words {
		n += len(w)
	}
	b.Grow(n)
	for i, w := range s.words {
		b.WriteString(s.seps[i])
		b.WriteString(w)
	}
	b.WriteString(s.seps[len(s.seps)-1])
	return b.String()
}

// clone returns a copy whose slices can be changed without touching s.
func (s wordSeq) clone() wordSeq {
	return wordSeq{seps: append([]string(nil), s.seps...), words: append([]string(nil), s.words...)}
}

// casePattern is the capitalisation of a word, to be carried over to its replacement.
type casePattern int

const (
	caseKeep  casePattern = iota // lower case or mixed: use the replacement as WordNet spells it
	caseTitle                    // first letter upper case ("Happy")
	caseUpper                    // every letter upper case, at least two letters ("HAPPY")
)

// caseOf classifies the capitalisation of word.
func caseOf(word string) casePattern {
	letters, upper := 0, 0
	first := true
	firstUpper := false
	for _, r := range word {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		if unicode.IsUpper(r) {
			upper++
			if first {
				firstUpper = true
			}
		}
		first = false
	}
	switch {
	case letters >= 2 && upper == letters:
		return caseUpper
	case firstUpper:
		return caseTitle
	default:
		return caseKeep
	}
}

// applyCase gives repl the capitalisation pattern p. Title upper-cases the first rune when it
// is a letter ("2nd" stays "2nd").
func applyCase(p casePattern, repl string) string {
	switch p {
	case caseUpper:
		return strings.ToUpper(repl)
	case caseTitle:
		r, size := utf8.DecodeRuneInString(repl)
		if unicode.IsLetter(r) {
			if u := unicode.ToTitle(r); u != r {
				return string(u) + repl[size:]
			}
		}
	}
	return repl
}

// hasLetter reports whether word holds at least one letter.
func hasLetter(word string) bool {
	for _, r := range word {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// wordKey is the key under which a word token is compared, looked up and stop-listed:
// lower case, with the typographic apostrophe turned into a plain one.
func wordKey(word string) string {
	return strings.ToLower(strings.ReplaceAll(word, "\u2019", "'"))
}

// stopWordList holds common English function words that EDA never replaces and never takes
// as the source of an inserted synonym: pronouns, determiners, auxiliaries, prepositions,
// conjunctions, a few frequent adverbs and their contractions, all lower case.
const stopWordList = `
a an the this that these those some any no none all both each either neither every
few many much more most other another such own same several one ones
i me my mine myself we us our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs themselves
who whom whose which what whatever whoever where when why how whether
am is are was were be been being have has had having do does did doing done
will would shall should can could may might must ought cannot
and but or nor if then else than because as until while although though unless since so yet
of at by for with about against between among into through during before after above below
to from up down in out on off over under again further once upon within without across
along around behind beyond near toward towards via per onto
here there now just only very too also not never ever still even quite rather almost already
s t d ll m re ve don
don't doesn't didn't isn't aren't wasn't weren't haven't hasn't hadn't won't wouldn't
can't couldn't shouldn't mustn't needn't shan't mightn't
i'm i've i'll i'd you're you've you'll you'd he's he'll he'd she's she'll she'd
it's it'll we're we've we'll we'd they're they've they'll they'd
that's there's here's what's who's where's when's how's let's
`

// StopWords returns a fresh copy of the built-in English stop-word list, lower case.
func StopWords() []string {
	return strings.Fields(stopWordList)
}

// stopSet is a set of lower-case stop words.
type stopSet map[string]struct{}

// newStopSet builds a set from words, keyed by wordKey.
func newStopSet(words []string) stopSet {
	m := make(stopSet, len(words))
	for _, w := range words {
		m[wordKey(w)] = struct{}{}
	}
	return m
}

// has reports whether word (any case, either apostrophe) is in the set.
func (s stopSet) has(word string) bool {
	_, ok := s[wordKey(word)]
	return ok
}
