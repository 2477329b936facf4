package tokenizer

import (
	"container/heap"
	"fmt"
	"math"
	"unicode/utf8"
)

// model turns one pre-tokenized word into token ids, appended to dst.
type model interface {
	tokenize(word string, dst []int32) ([]int32, error)
}

// wordPiece is greedy longest-match-first WordPiece, as in BERT.
type wordPiece struct {
	vocab    map[string]int32
	unkID    int32
	prefix   string
	maxChars int // words longer than this many characters become unk
	maxBytes int // longest vocabulary entry, in bytes
}

func newWordPiece(vocab map[string]int32, unk, prefix string, maxChars int) (*wordPiece, error) {
	unkID, ok := vocab[unk]
	if !ok {
		return nil, fmt.Errorf("wordpiece: unk token %q is not in the vocabulary", unk)
	}
	wp := &wordPiece{vocab: vocab, unkID: unkID, prefix: prefix, maxChars: maxChars}
	for k := range vocab {
		wp.maxBytes = max(wp.maxBytes, len(k))
	}
	return wp, nil
}

func (wp *wordPiece) tokenize(word string, dst []int32) ([]int32, error) {
	if wp.maxChars > 0 && utf8.RuneCountInString(word) > wp.maxChars {
		return append(dst, wp.unkID), nil
	}
	n0 := len(dst)
	var buf []byte
	for start := 0; start < len(word); {
		end := min(len(word), start+wp.maxBytes)
		for end < len(word) && end > start && !utf8.RuneStart(word[end]) {
			end-- // back to a character boundary
		}
		found := false
		for end > start {
			buf = buf[:0]
			if start > 0 {
				buf = append(buf, wp.prefix...)
			}
			buf = append(buf, word[start:end]...)
			if id, ok := wp.vocab[string(buf)]; ok {
				dst = append(dst, id)
				found = true
				break
			}
			_, size := utf8.DecodeLastRuneInString(word[start:end])
			end -= size
		}
		if !found {
			return append(dst[:n0], wp.unkID), nil
		}
		start = end
	}
	return dst, nil
}

// wordLevel maps each word to its id, or to unk.
type wordLevel struct {
	vocab  map[string]int32
	unkID  int32
	hasUnk bool
}

func (wl *wordLevel) tokenize(word string, dst []int32) ([]int32, error) {
	if id, ok := wl.vocab[word]; ok {
		return append(dst, id), nil
	}
	if !wl.hasUnk {
		return dst, fmt.Errorf("wordlevel: %q is not in the vocabulary and there is no unk token", word)
	}
	return append(dst, wl.unkID), nil
}

// bpe is byte-pair encoding: start from characters, then apply the merge of
// lowest rank (leftmost first among equal ranks) until none applies.
type bpe struct {
	vocab        map[string]int32
	merges       map[[2]int32]bpeMerge
	unkID        int32
	hasUnk       bool
	prefix       string // continuing_subword_prefix
	suffix       string // end_of_word_suffix
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
}

type bpeMerge struct {
	rank  int
	newID int32
}

type bpeSymbol struct {
	id         int32
	prev, next int
	gone       bool
}

type bpeCandidate struct {
	pos   int
	rank  int
	newID int32
}

type bpeQueue []bpeCandidate

func (q bpeQueue) Len() int { return len(q) }
func (q bpeQueue) Less(i, j int) bool {
	if q[i].rank != q[j].rank {
		return q[i].rank < q[j].rank
	}
	return q[i].pos < q[j].pos
}
func (q bpeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *bpeQueue) Push(x any)   { *q = append(*q, x.(bpeCandidate)) }
func (q *bpeQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

func (m *bpe) tokenize(word string, dst []int32) ([]int32, error) {
	if word == "" {
		return dst, nil
	}
	if m.ignoreMerges {
		if id, ok := m.vocab[word]; ok {
			return append(dst, id), nil
		}
	}
	syms := make([]bpeSymbol, 0, len(word))
	add := func(id int32) {
		syms = append(syms, bpeSymbol{id: id, prev: len(syms) - 1, next: len(syms) + 1})
	}
	unkPending := false
	var buf []byte
	for i, r := range word {
		size := utf8.RuneLen(r)
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, m.prefix...)
		}
		buf = append(buf, word[i:i+size]...)
		if i+size == len(word) {
			buf = append(buf, m.suffix...)
		}
		if id, ok := m.vocab[string(buf)]; ok {
			if unkPending {
				add(m.unkID)
				unkPending = false
			}
			add(id)
			continue
		}
		if m.byteFallback {
			ids := make([]int32, 0, size)
			for _, b := range []byte(word[i : i+size]) {
				if id, ok := m.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
					ids = append(ids, id)
				}
			}
			if len(ids) == size {
				if unkPending {
					add(m.unkID)
					unkPending = false
				}
				for _, id := range ids {
					add(id)
				}
				continue
			}
		}
		if !m.hasUnk {
			continue // no unk token: the character is dropped
		}
		if unkPending && !m.fuseUnk {
			add(m.unkID)
		}
		unkPending = true
	}
	if unkPending {
		add(m.unkID)
	}
	if len(syms) == 0 {
		return dst, nil
	}
	syms[len(syms)-1].next = -1

	q := bpeQueue{}
	for i := 0; i+1 < len(syms); i++ {
		if mg, ok := m.merges[[2]int32{syms[i].id, syms[i+1].id}]; ok {
			q = append(q, bpeCandidate{i, mg.rank, mg.newID})
		}
	}
	heap.Init(&q)
	for q.Len() > 0 {
		c := heap.Pop(&q).(bpeCandidate)
		s := &syms[c.pos]
		if s.gone || s.next < 0 {
			continue
		}
		right := &syms[s.next]
		mg, ok := m.merges[[2]int32{s.id, right.id}]
		if !ok || mg.newID != c.newID {
			continue // stale candidate
		}
		s.id = c.newID
		right.gone = true
		s.next = right.next
		if s.next >= 0 {
			syms[s.next].prev = c.pos
		}
		if s.prev >= 0 {
			if mg, ok := m.merges[[2]int32{syms[s.prev].id, s.id}]; ok {
				heap.Push(&q, bpeCandidate{s.prev, mg.rank, mg.newID})
			}
		}
		if s.next >= 0 {
			if mg, ok := m.merges[[2]int32{s.id, syms[s.next].id}]; ok {
				heap.Push(&q, bpeCandidate{c.pos, mg.rank, mg.newID})
			}
		}
	}
	for _, s := range syms {
		if !s.gone {
			dst = append(dst, s.id)
		}
	}
	return dst, nil
}

// unigram is the SentencePiece unigram model: the segmentation of highest
// total score (Viterbi), unknown characters scored min_score - 10.
type unigram struct {
	vocab        map[string]int32
	scores       []float64
	unkID        int32
	hasUnk       bool
	fuseUnk      bool
	byteFallback bool
	minScore     float64
	maxBytes     int
}

const unigramUnkPenalty = 10.0

func (m *unigram) tokenize(word string, dst []int32) ([]int32, error) {
	n := len(word)
	if n == 0 {
		return dst, nil
	}
	type node struct {
		score float64
		start int // -1: not reached
		id    int32
	}
	best := make([]node, n+1)
	for i := range best {
		best[i].start = -1
	}
	unkScore := m.minScore - unigramUnkPenalty
	for start := 0; start < n; {
		base := best[start].score
		_, charLen := utf8.DecodeRuneInString(word[start:])
		single := false
		limit := min(n, start+m.maxBytes)
		for end := start + 1; end <= limit; end++ {
			if end < n && !utf8.RuneStart(word[end]) {
				continue
			}
			id, ok := m.vocab[word[start:end]]
			if !ok {
				continue
			}
			cand := base + m.scores[id]
			if best[end].start < 0 || cand > best[end].score {
				best[end] = node{cand, start, id}
			}
			if end-start == charLen {
				single = true
			}
		}
		if !single {
			end := start + charLen
			cand := base + unkScore
			if best[end].start < 0 || cand > best[end].score {
				best[end] = node{cand, start, -1}
			}
		}
		start += charLen
	}
	// Backtrack into pieces: (start, end, id), id -1 for unknown.
	type seg struct {
		start, end int
		id         int32
	}
	var segs []seg
	for end := n; end > 0; {
		nd := best[end]
		if nd.start < 0 {
			return dst, fmt.Errorf("unigram: no segmentation for %q", word)
		}
		segs = append(segs, seg{nd.start, end, nd.id})
		end = nd.start
	}
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	// Fuse runs of unknown pieces (as the Rust model does when fuse_unk is
	// set), then map each piece to its id, its bytes, or unk.
	var pieces []string
	for i := 0; i < len(segs); i++ {
		s := segs[i]
		end := s.end
		if m.fuseUnk && m.hasUnk && m.isUnk(s.id) {
			for i+1 < len(segs) && m.isUnk(segs[i+1].id) {
				i++
				end = segs[i].end
			}
		}
		pieces = append(pieces, word[s.start:end])
	}
	for _, p := range pieces {
		if id, ok := m.vocab[p]; ok {
			dst = append(dst, id)
			continue
		}
		if m.byteFallback {
			ids := make([]int32, 0, len(p))
			for _, b := range []byte(p) {
				if id, found := m.vocab[fmt.Sprintf("<0x%02X>", b)]; found {
					ids = append(ids, id)
				}
			}
			if len(ids) == len(p) {
				dst = append(dst, ids...)
				continue
			}
		}
		if !m.hasUnk {
			return dst, fmt.Errorf("unigram: %q is not in the vocabulary and there is no unk_id", p)
		}
		dst = append(dst, m.unkID)
	}
	return dst, nil
}

// isUnk reports whether a lattice node id stands for the unknown token.
func (m *unigram) isUnk(id int32) bool {
	return id < 0 || (m.hasUnk && id == m.unkID)
}

// unigramMinScore returns the lowest score, or 0 for an empty vocabulary.
func unigramMinScore(scores []float64) float64 {
	if len(scores) == 0 {
		return 0
	}
	ms := math.Inf(1)
	for _, s := range scores {
		ms = min(ms, s)
	}
	return ms
}
