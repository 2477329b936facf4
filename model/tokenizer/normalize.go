package tokenizer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/rivo/uniseg"
	"github.com/sugarme/tokenizer/spm"
	"golang.org/x/text/unicode/norm"
)

// normalizer rewrites a piece of text before pre-tokenization.
type normalizer interface {
	normalize(s string) string
}

// bertNormalizer is the Hugging Face BertNormalizer: clean control characters
// and whitespace, space out CJK ideographs, strip accents (NFD, then drop Mn),
// then lower-case, in that order.
type bertNormalizer struct {
	cleanText, handleChinese, stripAccents, lowercase bool
}

func (n bertNormalizer) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		if n.cleanText {
			if r == 0 || r == 0xfffd || isBertControl(r) {
				continue
			}
			if isBertWhitespace(r) {
				r = ' '
			}
		}
		if n.handleChinese && isChineseChar(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if n.stripAccents {
		out = dropNonSpacingMarks(norm.NFD.String(out))
	}
	if n.lowercase {
		out = rustLower(out)
	}
	return out
}

// dropNonSpacingMarks removes the characters of category Mn.
func dropNonSpacingMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
}

type lowercaseNormalizer struct{}

func (lowercaseNormalizer) normalize(s string) string { return rustLower(s) }

type unicodeNormalizer struct{ form norm.Form }

func (n unicodeNormalizer) normalize(s string) string { return n.form.String(s) }

// stripAccentsNormalizer drops Mn characters (without decomposing first, as
// the Hugging Face StripAccents normalizer).
type stripAccentsNormalizer struct{}

func (stripAccentsNormalizer) normalize(s string) string { return dropNonSpacingMarks(s) }

type stripNormalizer struct{ left, right bool }

func (n stripNormalizer) normalize(s string) string {
	if n.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if n.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

// replaceNormalizer replaces every match of a literal string or a regexp.
type replaceNormalizer struct {
	literal string
	re      *regexp.Regexp
	content string
}

func (n replaceNormalizer) normalize(s string) string {
	if n.re != nil {
		return n.re.ReplaceAllLiteralString(s, n.content)
	}
	if n.literal == "" {
		return s
	}
	return strings.ReplaceAll(s, n.literal, n.content)
}

type prependNormalizer struct{ prefix string }

func (n prependNormalizer) normalize(s string) string {
	if s == "" {
		return s
	}
	return n.prefix + s
}

// nmtNormalizer is the Hugging Face Nmt normalizer: drop some control
// characters and turn some spacing characters into a plain space.
type nmtNormalizer struct{}

func (nmtNormalizer) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0x1 && r <= 0x8, r == 0xb, r >= 0xe && r <= 0x1f, r == 0x7f, r == 0x8f, r == 0x9f:
			return -1
		case r == 0x9, r == 0xa, r == 0xc, r == 0xd, r == 0x1680, r >= 0x200b && r <= 0x200f,
			r == 0x2028, r == 0x2029, r == 0x2581, r == 0xfeff, r == 0xfffd:
			return ' '
		}
		return r
	}, s)
}

// precompiledNormalizer applies a SentencePiece precompiled_charsmap: each
// grapheme shorter than 6 bytes is looked up whole, otherwise (or when it is
// not found) each of its characters is looked up on its own.
type precompiledNormalizer struct {
	trie       *spm.DoubleArray
	normalized string
}

func newPrecompiledNormalizer(charsmap []byte) (n *precompiledNormalizer, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decode precompiled_charsmap: %v", r)
		}
	}()
	if len(charsmap) < 4 {
		return nil, fmt.Errorf("precompiled_charsmap has %d bytes, want at least 4", len(charsmap))
	}
	p, err := spm.NewPrecompiledFrom(charsmap)
	if err != nil {
		return nil, fmt.Errorf("decode precompiled_charsmap: %w", err)
	}
	if len(p.Trie.Array) == 0 {
		return nil, fmt.Errorf("precompiled_charsmap has an empty trie")
	}
	return &precompiledNormalizer{trie: p.Trie, normalized: p.Normalized}, nil
}

// transform returns the replacement of chunk (possibly empty) and whether the
// charsmap has one.
func (n *precompiledNormalizer) transform(chunk string) (out string, ok bool) {
	defer func() {
		if recover() != nil { // a corrupt trie: treat as "no rule"
			out, ok = "", false
		}
	}()
	results := n.trie.CommonPrefixSearch([]byte(chunk))
	if len(results) == 0 {
		return "", false
	}
	i := results[0]
	if i < 0 || i > len(n.normalized) {
		return "", false
	}
	j := strings.IndexByte(n.normalized[i:], 0)
	if j < 0 {
		return n.normalized[i:], true
	}
	return n.normalized[i : i+j], true
}

func (n *precompiledNormalizer) normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		gr := g.Str()
		if len(gr) < 6 {
			if out, ok := n.transform(gr); ok {
				b.WriteString(out)
				continue
			}
		}
		for _, r := range gr {
			if out, ok := n.transform(string(r)); ok {
				b.WriteString(out)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

type sequenceNormalizer []normalizer

func (seq sequenceNormalizer) normalize(s string) string {
	for _, n := range seq {
		s = n.normalize(s)
	}
	return s
}
