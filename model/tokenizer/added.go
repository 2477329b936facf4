package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens (or a special token
// of a vocab.txt tokenizer). Such tokens are cut out of the text before the
// model sees it.
type addedToken struct {
	content    string
	id         int32
	singleWord bool
	lstrip     bool
	rstrip     bool
	normalized bool
	special    bool
}

// addedMatcher finds added tokens in text, leftmost-longest, without overlap.
type addedMatcher struct {
	tokens  []addedToken
	byFirst map[byte][]int // first byte of the pattern -> token indices
}

func newAddedMatcher(tokens []addedToken) *addedMatcher {
	m := &addedMatcher{byFirst: map[byte][]int{}}
	for _, t := range tokens {
		if t.content == "" {
			continue
		}
		m.tokens = append(m.tokens, t)
		i := len(m.tokens) - 1
		m.byFirst[t.content[0]] = append(m.byFirst[t.content[0]], i)
	}
	return m
}

// segment is a piece of the input: either plain text or one added token.
type segment struct {
	text    string
	id      int32 // the added token's id; -1 for plain text
	atStart bool  // begins at offset 0 of the encoded text
}

// split cuts s into plain-text and added-token segments. Empty plain-text
// segments are dropped.
func (m *addedMatcher) split(s string, atStart bool) []segment {
	if m == nil || len(m.tokens) == 0 || s == "" {
		if s == "" {
			return nil
		}
		return []segment{{s, -1, atStart}}
	}
	var out []segment
	last := 0 // end of the previous emitted added token
	for i := 0; i < len(s); {
		cands := m.byFirst[s[i]]
		best := -1
		for _, c := range cands {
			t := m.tokens[c].content
			if strings.HasPrefix(s[i:], t) && (best < 0 || len(t) > len(m.tokens[best].content)) {
				best = c
			}
		}
		if best < 0 {
			i++
			continue
		}
		t := m.tokens[best]
		start, stop := i, i+len(t.content)
		i = stop // the search resumes after the match, even if it is discarded
		if t.singleWord {
			before, _ := utf8.DecodeLastRuneInString(s[:start])
			after, _ := utf8.DecodeRuneInString(s[stop:])
			if (start > 0 && isWordChar(before)) || (stop < len(s) && isWordChar(after)) {
				continue
			}
		}
		if t.lstrip {
			start = max(len(strings.TrimRightFunc(s[:start], unicode.IsSpace)), last)
		}
		if t.rstrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
		}
		if start < last {
			start = last
		}
		if stop < start {
			stop = start
		}
		if last < start {
			out = append(out, segment{s[last:start], -1, atStart && last == 0})
		}
		out = append(out, segment{s[start:stop], t.id, atStart && start == 0})
		last = stop
	}
	if last < len(s) {
		out = append(out, segment{s[last:], -1, atStart && last == 0})
	}
	return out
}
