package tokenizer

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// piece is a run of text between pre-tokenization boundaries. atStart is true
// when the piece begins at offset 0 of the text being encoded (Metaspace's
// prepend_scheme "first" depends on it).
type piece struct {
	text    string
	atStart bool
}

// preTokenizer splits pieces into smaller pieces; it never returns empty ones.
type preTokenizer interface {
	split(in []piece) []piece
}

// span is a byte range [start, end) and whether it is a delimiter match.
type span struct {
	start, end int
	match      bool
}

// splitBehavior says what happens to the delimiters found by a pattern.
type splitBehavior int

const (
	splitRemoved splitBehavior = iota
	splitIsolated
	splitMergedWithPrevious
	splitMergedWithNext
	splitContiguous
)

// parseBehavior maps the tokenizer.json name of a split behavior.
func parseBehavior(name string) (splitBehavior, bool) {
	switch name {
	case "Removed":
		return splitRemoved, true
	case "Isolated":
		return splitIsolated, true
	case "MergedWithPrevious":
		return splitMergedWithPrevious, true
	case "MergedWithNext":
		return splitMergedWithNext, true
	case "Contiguous":
		return splitContiguous, true
	}
	return 0, false
}

// charSpans covers s with spans, one per character for which pred is true
// and one per maximal run of other characters.
func charSpans(s string, pred func(rune) bool) []span {
	var out []span
	last := 0
	for i, r := range s {
		if pred(r) {
			if last < i {
				out = append(out, span{last, i, false})
			}
			end := i + utf8.RuneLen(r)
			if r == utf8.RuneError {
				_, size := utf8.DecodeRuneInString(s[i:])
				end = i + size
			}
			out = append(out, span{i, end, true})
			last = end
		}
	}
	if last < len(s) {
		out = append(out, span{last, len(s), false})
	}
	return out
}

// boundsSpans covers s with spans from a list of [start, end) matches.
func boundsSpans(s string, locs [][]int) []span {
	var out []span
	last := 0
	for _, m := range locs {
		if m[1] <= m[0] {
			continue // empty matches split nothing
		}
		if last < m[0] {
			out = append(out, span{last, m[0], false})
		}
		out = append(out, span{m[0], m[1], true})
		last = m[1]
	}
	if last < len(s) {
		out = append(out, span{last, len(s), false})
	}
	return out
}

// invertSpans swaps matches and non-matches.
func invertSpans(in []span) []span {
	out := make([]span, len(in))
	for i, s := range in {
		out[i] = span{s.start, s.end, !s.match}
	}
	return out
}

// applyBehavior turns spans into the kept byte ranges, as the Hugging Face
// NormalizedString::split does.
func applyBehavior(spans []span, b splitBehavior) [][2]int {
	var out [][2]int
	switch b {
	case splitRemoved:
		for _, s := range spans {
			if !s.match {
				out = append(out, [2]int{s.start, s.end})
			}
		}
	case splitIsolated:
		for _, s := range spans {
			out = append(out, [2]int{s.start, s.end})
		}
	case splitContiguous:
		prev := false
		for _, s := range spans {
			if s.match == prev && len(out) > 0 {
				out[len(out)-1][1] = s.end
			} else {
				out = append(out, [2]int{s.start, s.end})
			}
			prev = s.match
		}
	case splitMergedWithPrevious:
		prev := false
		for _, s := range spans {
			if s.match && !prev && len(out) > 0 {
				out[len(out)-1][1] = s.end
			} else {
				out = append(out, [2]int{s.start, s.end})
			}
			prev = s.match
		}
	case splitMergedWithNext:
		prev := false
		for i := len(spans) - 1; i >= 0; i-- {
			s := spans[i]
			if s.match && !prev && len(out) > 0 {
				out[len(out)-1][0] = s.start
			} else {
				out = append(out, [2]int{s.start, s.end})
			}
			prev = s.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// splitPieces applies find (which covers a piece's text with spans) and a
// behavior to every piece, dropping empty results.
func splitPieces(in []piece, find func(string) []span, b splitBehavior) []piece {
	out := make([]piece, 0, len(in))
	for _, p := range in {
		for _, r := range applyBehavior(find(p.text), b) {
			if r[1] > r[0] {
				out = append(out, piece{p.text[r[0]:r[1]], p.atStart && r[0] == 0})
			}
		}
	}
	return out
}

// bertPreTokenizer splits on whitespace (removed) and isolates punctuation.
type bertPreTokenizer struct{}

func (bertPreTokenizer) split(in []piece) []piece {
	out := make([]piece, 0, len(in)*4)
	for _, p := range in {
		s := p.text
		start := -1 // start of the current word, -1 when between words
		for i, r := range s {
			switch {
			case unicode.IsSpace(r):
				if start >= 0 {
					out = append(out, piece{s[start:i], p.atStart && start == 0})
					start = -1
				}
			case isBertPunct(r):
				if start >= 0 {
					out = append(out, piece{s[start:i], p.atStart && start == 0})
					start = -1
				}
				_, size := utf8.DecodeRuneInString(s[i:])
				out = append(out, piece{s[i : i+size], p.atStart && i == 0})
			default:
				if start < 0 {
					start = i
				}
			}
		}
		if start >= 0 {
			out = append(out, piece{s[start:], p.atStart && start == 0})
		}
	}
	return out
}

// whitespacePreTokenizer keeps the matches of \w+|[^\w\s]+.
type whitespacePreTokenizer struct{}

func (whitespacePreTokenizer) split(in []piece) []piece {
	out := make([]piece, 0, len(in)*4)
	for _, p := range in {
		s := p.text
		start, kind := -1, 0 // kind 1: word run, 2: other run
		for i, r := range s {
			k := 2
			if isWordChar(r) {
				k = 1
			} else if unicode.IsSpace(r) {
				k = 0
			}
			if k != kind {
				if start >= 0 && kind != 0 {
					out = append(out, piece{s[start:i], p.atStart && start == 0})
				}
				start, kind = i, k
			}
		}
		if start >= 0 && kind != 0 {
			out = append(out, piece{s[start:], p.atStart && start == 0})
		}
	}
	return out
}

// funcPreTokenizer splits on each character matching pred.
type funcPreTokenizer struct {
	pred     func(rune) bool
	behavior splitBehavior
}

func (f funcPreTokenizer) split(in []piece) []piece {
	return splitPieces(in, func(s string) []span { return charSpans(s, f.pred) }, f.behavior)
}

// patternPreTokenizer is the Split pre-tokenizer: a literal or regexp
// pattern, optionally inverted, with a behavior.
type patternPreTokenizer struct {
	literal  string
	re       *regexp.Regexp
	invert   bool
	behavior splitBehavior
}

func (p patternPreTokenizer) split(in []piece) []piece {
	find := func(s string) []span {
		var locs [][]int
		if p.re != nil {
			locs = p.re.FindAllStringIndex(s, -1)
		} else if p.literal != "" {
			for off := 0; ; {
				i := strings.Index(s[off:], p.literal)
				if i < 0 {
					break
				}
				locs = append(locs, []int{off + i, off + i + len(p.literal)})
				off += i + len(p.literal)
			}
		}
		spans := boundsSpans(s, locs)
		if p.invert {
			spans = invertSpans(spans)
		}
		return spans
	}
	return splitPieces(in, find, p.behavior)
}

// byteLevelPreTokenizer is the GPT-2 style ByteLevel pre-tokenizer: an
// optional leading space, the GPT-2 split pattern, then every byte mapped to
// a printable character.
type byteLevelPreTokenizer struct {
	addPrefixSpace bool
	useRegex       bool
}

func (b byteLevelPreTokenizer) split(in []piece) []piece {
	out := make([]piece, 0, len(in)*4)
	for _, p := range in {
		s := p.text
		if b.addPrefixSpace && !strings.HasPrefix(s, " ") {
			s = " " + s
		}
		if !b.useRegex {
			out = append(out, piece{byteLevelEncode(s), p.atStart})
			continue
		}
		for _, r := range gpt2Split(s) {
			out = append(out, piece{byteLevelEncode(s[r[0]:r[1]]), p.atStart && r[0] == 0})
		}
	}
	return out
}

// gpt2Split finds the matches of the GPT-2 pattern
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (written out by hand: Go's regexp has no look-ahead). The matches cover s.
func gpt2Split(s string) [][2]int {
	var out [][2]int
	class := func(r rune) int { // 1 letter, 2 number, 3 space, 4 other
		switch {
		case unicode.IsLetter(r):
			return 1
		case unicode.IsNumber(r):
			return 2
		case unicode.IsSpace(r):
			return 3
		}
		return 4
	}
	runOf := func(i, c int) int { // end of the run of class c starting at i
		for i < len(s) {
			r, size := utf8.DecodeRuneInString(s[i:])
			if class(r) != c {
				break
			}
			i += size
		}
		return i
	}
	for i := 0; i < len(s); {
		if s[i] == '\'' {
			if n := contractionLen(s[i+1:]); n > 0 {
				out = append(out, [2]int{i, i + 1 + n})
				i += 1 + n
				continue
			}
		}
		j := i
		if s[i] == ' ' && i+1 < len(s) {
			r, _ := utf8.DecodeRuneInString(s[i+1:])
			if c := class(r); c != 3 {
				j = i + 1
			}
		}
		r, size := utf8.DecodeRuneInString(s[j:])
		if c := class(r); c != 3 {
			end := runOf(j+size, c)
			out = append(out, [2]int{i, end})
			i = end
			continue
		}
		// whitespace run [i, k)
		k := runOf(i, 3)
		switch {
		case k == len(s):
			out = append(out, [2]int{i, k})
		default:
			_, lastSize := utf8.DecodeLastRuneInString(s[i:k])
			if k-i > lastSize {
				k -= lastSize // \s+(?!\S): leave the last space to the next match
			}
			out = append(out, [2]int{i, k})
		}
		i = k
	}
	return out
}

// contractionLen returns the length of the contraction suffix ('s, 't, 're,
// 've, 'm, 'll, 'd) at the start of s (after the apostrophe), or 0.
func contractionLen(s string) int {
	for _, c := range []string{"re", "ve", "ll", "s", "t", "m", "d"} {
		if strings.HasPrefix(s, c) {
			return len(c)
		}
	}
	return 0
}

// byteLevelAlphabet maps each byte to the printable rune GPT-2 uses for it.
var byteLevelAlphabet = func() [256]rune {
	var t [256]rune
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff) {
			t[b] = rune(b)
		} else {
			t[b] = rune(256 + n)
			n++
		}
	}
	return t
}()

// byteLevelEncode maps every byte of s to its GPT-2 printable rune.
func byteLevelEncode(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteLevelAlphabet[s[i]])
	}
	return b.String()
}

// metaspacePreTokenizer replaces spaces with a marker (▁ by default),
// prepends it as the scheme says, and splits before each marker.
type metaspacePreTokenizer struct {
	replacement string
	prepend     string // "always", "first" or "never"
	splitOn     bool
}

func (m metaspacePreTokenizer) split(in []piece) []piece {
	out := make([]piece, 0, len(in)*4)
	for _, p := range in {
		s := strings.ReplaceAll(p.text, " ", m.replacement)
		switch m.prepend {
		case "always":
			if !strings.HasPrefix(s, m.replacement) {
				s = m.replacement + s
			}
		case "first":
			if p.atStart && !strings.HasPrefix(s, m.replacement) {
				s = m.replacement + s
			}
		}
		if !m.splitOn {
			out = append(out, piece{s, p.atStart})
			continue
		}
		var locs [][]int
		for off := 0; ; {
			i := strings.Index(s[off:], m.replacement)
			if i < 0 {
				break
			}
			locs = append(locs, []int{off + i, off + i + len(m.replacement)})
			off += i + len(m.replacement)
		}
		for _, r := range applyBehavior(boundsSpans(s, locs), splitMergedWithNext) {
			if r[1] > r[0] {
				out = append(out, piece{s[r[0]:r[1]], p.atStart && r[0] == 0})
			}
		}
	}
	return out
}

type sequencePreTokenizer []preTokenizer

func (seq sequencePreTokenizer) split(in []piece) []piece {
	for _, p := range seq {
		in = p.split(in)
	}
	return in
}
