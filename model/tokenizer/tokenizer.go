package tokenizer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Options are the sentence-transformers settings applied around the Hugging
// Face tokenizer.
type Options struct {
	// MaxLength truncates every encoding to this many tokens, special tokens
	// included (sentence-transformers' max_seq_length); 0 means no limit.
	MaxLength int
	// DoLowerCase lower-cases the text with Python's str.lower before
	// tokenizing (sentence_bert_config.json's do_lower_case).
	DoLowerCase bool
}

// Encoding is the tokenization of one text (or one pair of texts).
type Encoding struct {
	// IDs are the token ids, special tokens included.
	IDs []int64
	// TypeIDs are the token type (segment) ids.
	TypeIDs []int64
	// Mask is the attention mask: 1 for every token (Encode never pads).
	Mask []int64
	// Tokens are the vocabulary strings of IDs.
	Tokens []string
}

// Tokenizer turns text into model input ids. It is safe for concurrent use.
type Tokenizer struct {
	opt         Options
	addedRaw    *addedMatcher // added tokens matched on the raw text
	addedNorm   *addedMatcher // added tokens matched on the normalized text
	norm        normalizer    // nil: none
	pre         preTokenizer  // nil: the whole segment is one word
	model       model
	single      []tmplItem
	pair        []tmplItem
	idToToken   []string
	padID       int64
	nSingle     int // special tokens added to a single sequence
	nPair       int // special tokens added to a pair
	description string
}

// tmplItem is one element of a post-processing template: a run of special
// tokens, or sequence A (seq 0) or B (seq 1).
type tmplItem struct {
	special bool
	ids     []int32
	seq     int
	typeID  int64
}

// Load reads the tokenizer of a sentence-transformers (or Hugging Face) model
// folder: dir/tokenizer.json when it exists, otherwise dir/vocab.txt as a BERT
// WordPiece tokenizer configured by dir/tokenizer_config.json and
// dir/special_tokens_map.json when present.
func Load(dir string, opt Options) (*Tokenizer, error) {
	path := filepath.Join(dir, "tokenizer.json")
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		t, err := FromTokenizerJSON(data, opt)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		if pad, ok := configuredPad(dir); ok {
			if id, found := t.tokenID(pad); found {
				t.padID = int64(id)
			}
		}
		return t, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("load tokenizer: %w", err)
	}
	return loadVocabTxt(dir, opt)
}

// Encode tokenizes one text with special tokens, truncated to MaxLength.
// Invalid UTF-8 is replaced by U+FFFD first; the text is stripped as
// Python's str.strip and, with DoLowerCase, lower-cased as str.lower.
func (t *Tokenizer) Encode(text string) (enc Encoding, err error) {
	defer recoverInto(&err)
	return t.encode(text)
}

// recoverInto turns a panic into an error.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("tokenizer panic: %v", r)
	}
}

func (t *Tokenizer) encode(text string) (Encoding, error) {
	content, err := t.encodeText(t.prepare(text), t.contentLimit())
	if err != nil {
		return Encoding{}, err
	}
	if t.opt.MaxLength > 0 {
		limit := t.opt.MaxLength - t.nSingle
		if limit < 0 {
			return Encoding{}, fmt.Errorf("max length %d is less than the %d special tokens", t.opt.MaxLength, t.nSingle)
		}
		if len(content) > limit {
			content = content[:limit]
		}
	}
	return t.assemble(t.single, content, nil), nil
}

// EncodePair tokenizes a pair of texts (for cross-encoders), truncated to
// MaxLength with the longest_first strategy of Hugging Face tokenizers.
func (t *Tokenizer) EncodePair(a, b string) (enc Encoding, err error) {
	defer recoverInto(&err)
	ca, err := t.encodeText(t.prepare(a), -1)
	if err != nil {
		return Encoding{}, err
	}
	cb, err := t.encodeText(t.prepare(b), -1)
	if err != nil {
		return Encoding{}, err
	}
	if t.opt.MaxLength > 0 {
		limit := t.opt.MaxLength - t.nPair
		if limit < 0 {
			return Encoding{}, fmt.Errorf("max length %d is less than the %d special tokens of a pair", t.opt.MaxLength, t.nPair)
		}
		ca, cb = truncateLongestFirst(ca, cb, limit)
	}
	return t.assemble(t.pair, ca, cb), nil
}

// truncateLongestFirst cuts a and b so that together they have at most
// limit tokens, as the LongestFirst strategy of Hugging Face tokenizers: the
// shorter keeps its length when it can; otherwise both get half, the longer
// one the odd token.
func truncateLongestFirst(a, b []int32, limit int) ([]int32, []int32) {
	if len(a)+len(b) <= limit {
		return a, b
	}
	n1, n2 := len(a), len(b)
	swap := n1 > n2
	if swap {
		n1, n2 = n2, n1
	}
	if n1 > limit {
		n2 = n1
	} else {
		n2 = max(n1, limit-n1)
	}
	if n1+n2 > limit {
		n1 = limit / 2
		n2 = n1 + limit%2
	}
	if swap {
		n1, n2 = n2, n1
	}
	return a[:min(n1, len(a))], b[:min(n2, len(b))]
}

// EncodeBatch encodes texts with at most workers goroutines (workers <= 0:
// GOMAXPROCS) and keeps their order. A failure, including a panic, is
// returned as an error naming the index of the input.
func (t *Tokenizer) EncodeBatch(texts []string, workers int) ([]Encoding, error) {
	out := make([]Encoding, len(texts))
	errs := make([]error, len(texts))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(texts))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = t.Encode(texts[i])
			}
		}()
	}
	for i := range texts {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("encode input %d: %w", i, err)
		}
	}
	return out, nil
}

// MaxLength returns the truncation length (special tokens included), 0 for
// none.
func (t *Tokenizer) MaxLength() int { return t.opt.MaxLength }

// PadID returns the id used for padding.
func (t *Tokenizer) PadID() int64 { return t.padID }

// VocabSize returns the number of token ids (largest id + 1), added tokens
// included.
func (t *Tokenizer) VocabSize() int { return len(t.idToToken) }

// String describes the pipeline, e.g. "WordPiece (BertNormalizer, BertPreTokenizer)".
func (t *Tokenizer) String() string { return t.description }

// Pad pads a batch on the right to its longest encoding and flattens it row
// by row (batch x seqLen). Padding positions get padID, type id 0 and mask 0.
func Pad(encs []Encoding, padID int64) (ids, typeIDs, mask []int64, seqLen int) {
	for _, e := range encs {
		seqLen = max(seqLen, len(e.IDs))
	}
	n := len(encs) * seqLen
	ids, typeIDs, mask = make([]int64, n), make([]int64, n), make([]int64, n)
	for i, e := range encs {
		row := i * seqLen
		copy(ids[row:], e.IDs)
		copy(typeIDs[row:], e.TypeIDs)
		for j := range e.IDs {
			if j < len(e.Mask) {
				mask[row+j] = e.Mask[j]
			} else {
				mask[row+j] = 1
			}
		}
		for j := len(e.IDs); j < seqLen; j++ {
			ids[row+j] = padID
		}
	}
	return ids, typeIDs, mask, seqLen
}

// prepare repairs UTF-8, strips, and lower-cases as configured.
func (t *Tokenizer) prepare(text string) string {
	s := pyStrip(validUTF8(text))
	if t.opt.DoLowerCase {
		s = pyLower(s)
	}
	return s
}

// contentLimit is the number of content tokens worth computing for a single
// sequence (-1: all).
func (t *Tokenizer) contentLimit() int {
	if t.opt.MaxLength <= 0 {
		return -1
	}
	return max(0, t.opt.MaxLength-t.nSingle)
}

// encodeText returns the content token ids of s (no special tokens). With
// limit >= 0 it may stop once more than limit ids are found.
func (t *Tokenizer) encodeText(s string, limit int) ([]int32, error) {
	ids := make([]int32, 0, len(s)/4+2)
	var err error
	for _, seg := range t.addedRaw.split(s, true) {
		if limit >= 0 && len(ids) > limit {
			break
		}
		if seg.id >= 0 {
			ids = append(ids, seg.id)
			continue
		}
		text := seg.text
		if t.norm != nil {
			text = t.norm.normalize(text)
		}
		for _, sub := range t.addedNorm.split(text, seg.atStart) {
			if sub.id >= 0 {
				ids = append(ids, sub.id)
				continue
			}
			words := []piece{{sub.text, sub.atStart}}
			if t.pre != nil {
				words = t.pre.split(words)
			}
			for _, w := range words {
				if limit >= 0 && len(ids) > limit {
					break
				}
				if ids, err = t.model.tokenize(w.text, ids); err != nil {
					return nil, err
				}
			}
		}
	}
	return ids, nil
}

// assemble applies a template to the content ids of sequences A and B.
func (t *Tokenizer) assemble(tmpl []tmplItem, a, b []int32) Encoding {
	n := len(a) + len(b)
	for _, it := range tmpl {
		if it.special {
			n += len(it.ids)
		}
	}
	e := Encoding{
		IDs:     make([]int64, 0, n),
		TypeIDs: make([]int64, 0, n),
		Mask:    make([]int64, 0, n),
		Tokens:  make([]string, 0, n),
	}
	add := func(ids []int32, typeID int64) {
		for _, id := range ids {
			e.IDs = append(e.IDs, int64(id))
			e.TypeIDs = append(e.TypeIDs, typeID)
			e.Mask = append(e.Mask, 1)
			e.Tokens = append(e.Tokens, t.token(id))
		}
	}
	for _, it := range tmpl {
		switch {
		case it.special:
			add(it.ids, it.typeID)
		case it.seq == 0:
			add(a, it.typeID)
		default:
			add(b, it.typeID)
		}
	}
	return e
}

// token returns the vocabulary string of id.
func (t *Tokenizer) token(id int32) string {
	if id >= 0 && int(id) < len(t.idToToken) {
		return t.idToToken[id]
	}
	return ""
}

// tokenID looks a token string up among the model vocabulary and the added
// tokens.
func (t *Tokenizer) tokenID(tok string) (int32, bool) {
	for id, s := range t.idToToken {
		if s == tok {
			return int32(id), true
		}
	}
	return 0, false
}
