package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode"

	hf "github.com/sugarme/tokenizer"
	"golang.org/x/text/unicode/norm"
)

// FromTokenizerJSON builds a tokenizer from the contents of a Hugging Face
// tokenizer.json. Its truncation and padding blocks are ignored (opt rules);
// a component this package does not implement is an error.
func FromTokenizerJSON(data []byte, opt Options) (*Tokenizer, error) {
	var cfg hf.Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("parse tokenizer.json: %w", err)
	}
	if cfg.Model == nil {
		return nil, errors.New("tokenizer.json has no model")
	}
	t := &Tokenizer{opt: opt}
	if opt.MaxLength < 0 {
		return nil, fmt.Errorf("max length %d is negative", opt.MaxLength)
	}
	vocab, mdl, kind, err := parseModel(cfg.Model, cfg.Decoder)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	t.model = mdl
	parts := []string{kind}

	if t.norm, err = parseNormalizer(cfg.Normalizer); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	if t.pre, err = parsePreTokenizer(cfg.PreTokenizer); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	for _, c := range []map[string]any{cfg.Normalizer, cfg.PreTokenizer} {
		if typ, ok := c["type"].(string); ok {
			parts = append(parts, typ)
		}
	}

	var raw, normed []addedToken
	for _, a := range cfg.AddedTokens {
		tok := addedToken{content: a.Content, id: int32(a.Id), singleWord: a.SingleWord, lstrip: a.Lstrip,
			rstrip: a.Rstrip, normalized: a.Normalized, special: a.Special}
		if a.Id < 0 || a.Id > 1<<30 {
			return nil, fmt.Errorf("added token %q has id %d", a.Content, a.Id)
		}
		if tok.normalized {
			if t.norm != nil {
				tok.content = t.norm.normalize(tok.content)
			}
			normed = append(normed, tok)
		} else {
			raw = append(raw, tok)
		}
	}
	t.addedRaw, t.addedNorm = newAddedMatcher(raw), newAddedMatcher(normed)
	t.setVocab(vocab, append(raw, normed...))

	if err := t.parsePostProcessor(cfg.PostProcessor); err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	t.padID = t.defaultPad(cfg.Padding)
	t.description = fmt.Sprintf("%s (%s)", parts[0], strings.Join(parts[1:], ", "))
	return t, nil
}

// setVocab builds the id -> token table from the model vocabulary and the
// added tokens.
func (t *Tokenizer) setVocab(vocab map[string]int32, added []addedToken) {
	size := 0
	for _, id := range vocab {
		size = max(size, int(id)+1)
	}
	for _, a := range added {
		size = max(size, int(a.id)+1)
	}
	t.idToToken = make([]string, size)
	for tok, id := range vocab {
		if id >= 0 {
			t.idToToken[id] = tok
		}
	}
	for _, a := range added {
		t.idToToken[a.id] = a.content
	}
}

// defaultPad picks the pad id: the padding block's, else a conventional pad
// token, else 0.
func (t *Tokenizer) defaultPad(padding map[string]any) int64 {
	if id, ok := padding["pad_id"].(float64); ok {
		return int64(id)
	}
	for _, tok := range []string{"[PAD]", "<pad>", "<|padding|>", "<|endoftext|>"} {
		if id, ok := t.tokenID(tok); ok {
			return int64(id)
		}
	}
	return 0
}

// remarshal decodes a generic JSON object into a typed struct.
func remarshal(in map[string]any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// toVocab converts a JSON {token: id} object.
func toVocab(in map[string]float64) map[string]int32 {
	out := make(map[string]int32, len(in))
	for k, v := range in {
		out[k] = int32(v)
	}
	return out
}

// parseModel builds the model and returns its vocabulary and type name.
func parseModel(m map[string]any, decoder map[string]any) (map[string]int32, model, string, error) {
	typ, _ := m["type"].(string)
	if typ == "" {
		switch {
		case m["merges"] != nil:
			typ = "BPE"
		case isList(m["vocab"]):
			typ = "Unigram"
		case m["continuing_subword_prefix"] != nil || m["max_input_chars_per_word"] != nil || decoder["type"] == "WordPiece":
			typ = "WordPiece"
		default:
			typ = "WordLevel"
		}
	}
	switch typ {
	case "WordPiece":
		var c struct {
			Vocab    map[string]float64 `json:"vocab"`
			Unk      *string            `json:"unk_token"`
			Prefix   *string            `json:"continuing_subword_prefix"`
			MaxChars *int               `json:"max_input_chars_per_word"`
		}
		if err := remarshal(m, &c); err != nil {
			return nil, nil, "", fmt.Errorf("WordPiece: %w", err)
		}
		unk, prefix, maxChars := "[UNK]", "##", 100
		if c.Unk != nil {
			unk = *c.Unk
		}
		if c.Prefix != nil {
			prefix = *c.Prefix
		}
		if c.MaxChars != nil {
			maxChars = *c.MaxChars
		}
		vocab := toVocab(c.Vocab)
		wp, err := newWordPiece(vocab, unk, prefix, maxChars)
		return vocab, wp, typ, err
	case "BPE":
		var c struct {
			Vocab        map[string]float64 `json:"vocab"`
			Merges       []json.RawMessage  `json:"merges"`
			Unk          *string            `json:"unk_token"`
			Prefix       *string            `json:"continuing_subword_prefix"`
			Suffix       *string            `json:"end_of_word_suffix"`
			FuseUnk      bool               `json:"fuse_unk"`
			ByteFallback bool               `json:"byte_fallback"`
			IgnoreMerges bool               `json:"ignore_merges"`
		}
		if err := remarshal(m, &c); err != nil {
			return nil, nil, "", fmt.Errorf("BPE: %w", err)
		}
		vocab := toVocab(c.Vocab)
		b := &bpe{vocab: vocab, merges: make(map[[2]int32]bpeMerge, len(c.Merges)), fuseUnk: c.FuseUnk,
			byteFallback: c.ByteFallback, ignoreMerges: c.IgnoreMerges}
		if c.Prefix != nil {
			b.prefix = *c.Prefix
		}
		if c.Suffix != nil {
			b.suffix = *c.Suffix
		}
		if c.Unk != nil {
			id, ok := vocab[*c.Unk]
			if !ok {
				return nil, nil, "", fmt.Errorf("BPE: unk token %q is not in the vocabulary", *c.Unk)
			}
			b.unkID, b.hasUnk = id, true
		}
		for rank, raw := range c.Merges {
			left, right, err := parseMerge(raw)
			if err != nil {
				return nil, nil, "", fmt.Errorf("BPE merge %d: %w", rank, err)
			}
			l, okL := vocab[left]
			r, okR := vocab[right]
			joined := left + right[min(len(b.prefix), len(right)):]
			n, okN := vocab[joined]
			if !okL || !okR || !okN {
				return nil, nil, "", fmt.Errorf("BPE merge %d (%q %q): token not in the vocabulary", rank, left, right)
			}
			b.merges[[2]int32{l, r}] = bpeMerge{rank, n}
		}
		return vocab, b, typ, nil
	case "Unigram":
		var c struct {
			Vocab        [][2]any `json:"vocab"`
			UnkID        *int     `json:"unk_id"`
			ByteFallback bool     `json:"byte_fallback"`
			FuseUnk      *bool    `json:"fuse_unk"`
		}
		if err := remarshal(m, &c); err != nil {
			return nil, nil, "", fmt.Errorf("Unigram: %w", err)
		}
		u := &unigram{vocab: make(map[string]int32, len(c.Vocab)), scores: make([]float64, len(c.Vocab)),
			byteFallback: c.ByteFallback, fuseUnk: true}
		if c.FuseUnk != nil {
			u.fuseUnk = *c.FuseUnk
		}
		for i, e := range c.Vocab {
			tok, ok1 := e[0].(string)
			score, ok2 := e[1].(float64)
			if !ok1 || !ok2 {
				return nil, nil, "", fmt.Errorf("Unigram vocab entry %d is not [string, number]", i)
			}
			u.vocab[tok] = int32(i) // a repeated piece keeps its last id, as in the Rust model
			u.scores[i] = score
			u.maxBytes = max(u.maxBytes, len(tok))
		}
		if c.UnkID != nil {
			if *c.UnkID < 0 || *c.UnkID >= len(c.Vocab) {
				return nil, nil, "", fmt.Errorf("Unigram unk_id %d is outside the vocabulary of %d", *c.UnkID, len(c.Vocab))
			}
			u.unkID, u.hasUnk = int32(*c.UnkID), true
		}
		u.minScore = unigramMinScore(u.scores)
		return u.vocab, u, typ, nil
	case "WordLevel":
		var c struct {
			Vocab map[string]float64 `json:"vocab"`
			Unk   *string            `json:"unk_token"`
		}
		if err := remarshal(m, &c); err != nil {
			return nil, nil, "", fmt.Errorf("WordLevel: %w", err)
		}
		vocab := toVocab(c.Vocab)
		wl := &wordLevel{vocab: vocab}
		if c.Unk != nil {
			wl.unkID, wl.hasUnk = vocab[*c.Unk]
		}
		return vocab, wl, typ, nil
	}
	return nil, nil, "", fmt.Errorf("model type %q is not supported", typ)
}

func isList(v any) bool {
	_, ok := v.([]any)
	return ok
}

// parseMerge reads a merge written as "a b" or ["a", "b"].
func parseMerge(raw json.RawMessage) (string, string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		left, right, ok := strings.Cut(s, " ")
		if !ok {
			return "", "", fmt.Errorf("merge %q has no space", s)
		}
		return left, right, nil
	}
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return "", "", fmt.Errorf("merge %s is neither \"a b\" nor [a, b]", raw)
	}
	return pair[0], pair[1], nil
}

// parsePattern reads a {"String": s} or {"Regex": r} pattern.
func parsePattern(p map[string]any) (string, *regexp.Regexp, error) {
	if s, ok := p["String"].(string); ok {
		return s, nil, nil
	}
	if r, ok := p["Regex"].(string); ok {
		re, err := regexp.Compile(r)
		if err != nil {
			return "", nil, fmt.Errorf("regex %q: %w", r, err)
		}
		return "", re, nil
	}
	return "", nil, fmt.Errorf("pattern %v is neither String nor Regex", p)
}

func boolOr(m map[string]any, key string, def bool) bool {
	if v, ok := m[key].(bool); ok {
		return v
	}
	return def
}

func parseNormalizer(c map[string]any) (normalizer, error) {
	if c == nil {
		return nil, nil
	}
	typ, _ := c["type"].(string)
	switch typ {
	case "BertNormalizer":
		lower := boolOr(c, "lowercase", true)
		return bertNormalizer{
			cleanText:     boolOr(c, "clean_text", true),
			handleChinese: boolOr(c, "handle_chinese_chars", true),
			stripAccents:  boolOr(c, "strip_accents", lower), // null means "as lowercase"
			lowercase:     lower,
		}, nil
	case "Lowercase":
		return lowercaseNormalizer{}, nil
	case "NFC":
		return unicodeNormalizer{norm.NFC}, nil
	case "NFD":
		return unicodeNormalizer{norm.NFD}, nil
	case "NFKC":
		return unicodeNormalizer{norm.NFKC}, nil
	case "NFKD":
		return unicodeNormalizer{norm.NFKD}, nil
	case "StripAccents":
		return stripAccentsNormalizer{}, nil
	case "Strip":
		return stripNormalizer{left: boolOr(c, "strip_left", true), right: boolOr(c, "strip_right", true)}, nil
	case "Nmt":
		return nmtNormalizer{}, nil
	case "Prepend":
		p, _ := c["prepend"].(string)
		return prependNormalizer{p}, nil
	case "Replace":
		p, _ := c["pattern"].(map[string]any)
		lit, re, err := parsePattern(p)
		if err != nil {
			return nil, fmt.Errorf("Replace: %w", err)
		}
		content, _ := c["content"].(string)
		return replaceNormalizer{literal: lit, re: re, content: content}, nil
	case "Precompiled":
		s, _ := c["precompiled_charsmap"].(string)
		if s == "" {
			return nil, nil // no charsmap: the identity
		}
		data, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("Precompiled: precompiled_charsmap: %w", err)
		}
		return newPrecompiledNormalizer(data)
	case "Sequence":
		list, _ := c["normalizers"].([]any)
		var seq sequenceNormalizer
		for i, e := range list {
			m, _ := e.(map[string]any)
			n, err := parseNormalizer(m)
			if err != nil {
				return nil, fmt.Errorf("Sequence[%d]: %w", i, err)
			}
			if n != nil {
				seq = append(seq, n)
			}
		}
		return seq, nil
	}
	return nil, fmt.Errorf("normalizer type %q is not supported", typ)
}

func parsePreTokenizer(c map[string]any) (preTokenizer, error) {
	if c == nil {
		return nil, nil
	}
	typ, _ := c["type"].(string)
	behavior := func(def splitBehavior) (splitBehavior, error) {
		name, ok := c["behavior"].(string)
		if !ok {
			return def, nil
		}
		b, ok := parseBehavior(name)
		if !ok {
			return 0, fmt.Errorf("%s: behavior %q is not supported", typ, name)
		}
		return b, nil
	}
	switch typ {
	case "BertPreTokenizer":
		return bertPreTokenizer{}, nil
	case "Whitespace":
		return whitespacePreTokenizer{}, nil
	case "WhitespaceSplit":
		return funcPreTokenizer{pred: isSpaceRune, behavior: splitRemoved}, nil
	case "ByteLevel":
		return byteLevelPreTokenizer{addPrefixSpace: boolOr(c, "add_prefix_space", true), useRegex: boolOr(c, "use_regex", true)}, nil
	case "Metaspace":
		m := metaspacePreTokenizer{replacement: "▁", prepend: "always", splitOn: boolOr(c, "split", true)}
		if r, ok := c["replacement"].(string); ok && r != "" {
			m.replacement = r
		}
		if s, ok := c["prepend_scheme"].(string); ok {
			if s != "always" && s != "first" && s != "never" {
				return nil, fmt.Errorf("Metaspace: prepend_scheme %q is not supported", s)
			}
			m.prepend = s
		} else if !boolOr(c, "add_prefix_space", true) {
			m.prepend = "never"
		}
		return m, nil
	case "Punctuation":
		b, err := behavior(splitIsolated)
		if err != nil {
			return nil, err
		}
		return funcPreTokenizer{pred: isBertPunct, behavior: b}, nil
	case "Digits":
		b := splitContiguous
		if boolOr(c, "individual_digits", false) {
			b = splitIsolated
		}
		return funcPreTokenizer{pred: isNumericRune, behavior: b}, nil
	case "CharDelimiterSplit":
		d, _ := c["delimiter"].(string)
		runes := []rune(d)
		if len(runes) != 1 {
			return nil, fmt.Errorf("CharDelimiterSplit: delimiter %q is not one character", d)
		}
		return funcPreTokenizer{pred: func(r rune) bool { return r == runes[0] }, behavior: splitRemoved}, nil
	case "Split":
		p, _ := c["pattern"].(map[string]any)
		lit, re, err := parsePattern(p)
		if err != nil {
			return nil, fmt.Errorf("Split: %w", err)
		}
		b, err := behavior(splitRemoved)
		if err != nil {
			return nil, err
		}
		return patternPreTokenizer{literal: lit, re: re, invert: boolOr(c, "invert", false), behavior: b}, nil
	case "Sequence":
		list, _ := c["pretokenizers"].([]any)
		var seq sequencePreTokenizer
		for i, e := range list {
			m, _ := e.(map[string]any)
			p, err := parsePreTokenizer(m)
			if err != nil {
				return nil, fmt.Errorf("Sequence[%d]: %w", i, err)
			}
			if p != nil {
				seq = append(seq, p)
			}
		}
		return seq, nil
	}
	return nil, fmt.Errorf("pre-tokenizer type %q is not supported", typ)
}

// parsePostProcessor sets the single and pair templates.
func (t *Tokenizer) parsePostProcessor(c map[string]any) error {
	single, pair, err := t.templates(c)
	if err != nil {
		return err
	}
	if single == nil {
		single = []tmplItem{{seq: 0}}
		pair = []tmplItem{{seq: 0}, {seq: 1, typeID: 1}}
	}
	t.single, t.pair = single, pair
	t.nSingle, t.nPair = countSpecial(single), countSpecial(pair)
	return nil
}

func countSpecial(tmpl []tmplItem) int {
	n := 0
	for _, it := range tmpl {
		if it.special {
			n += len(it.ids)
		}
	}
	return n
}

// templates returns the templates of a post-processor, nil for one that adds
// no tokens.
func (t *Tokenizer) templates(c map[string]any) (single, pair []tmplItem, err error) {
	if c == nil {
		return nil, nil, nil
	}
	typ, _ := c["type"].(string)
	switch typ {
	case "ByteLevel":
		return nil, nil, nil
	case "BertProcessing", "RobertaProcessing":
		var p struct {
			Sep [2]any `json:"sep"`
			Cls [2]any `json:"cls"`
		}
		if err := remarshal(c, &p); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", typ, err)
		}
		sep, ok1 := p.Sep[1].(float64)
		cls, ok2 := p.Cls[1].(float64)
		if !ok1 || !ok2 {
			return nil, nil, fmt.Errorf("%s: sep and cls must be [token, id]", typ)
		}
		s, cl := []int32{int32(sep)}, []int32{int32(cls)}
		if typ == "BertProcessing" {
			single = []tmplItem{{special: true, ids: cl}, {seq: 0}, {special: true, ids: s}}
			pair = append(append([]tmplItem{}, single...), tmplItem{seq: 1, typeID: 1}, tmplItem{special: true, ids: s, typeID: 1})
			return single, pair, nil
		}
		single = []tmplItem{{special: true, ids: cl}, {seq: 0}, {special: true, ids: s}}
		pair = append(append([]tmplItem{}, single...), tmplItem{special: true, ids: s}, tmplItem{seq: 1}, tmplItem{special: true, ids: s})
		return single, pair, nil
	case "TemplateProcessing":
		var p struct {
			Single []map[string]struct {
				ID     string `json:"id"`
				TypeID int64  `json:"type_id"`
			} `json:"single"`
			Pair []map[string]struct {
				ID     string `json:"id"`
				TypeID int64  `json:"type_id"`
			} `json:"pair"`
			Special map[string]struct {
				IDs []int32 `json:"ids"`
			} `json:"special_tokens"`
		}
		if err := remarshal(c, &p); err != nil {
			return nil, nil, fmt.Errorf("TemplateProcessing: %w", err)
		}
		conv := func(items []map[string]struct {
			ID     string `json:"id"`
			TypeID int64  `json:"type_id"`
		}) ([]tmplItem, error) {
			out := []tmplItem{}
			for _, it := range items {
				if sp, ok := it["SpecialToken"]; ok {
					st, found := p.Special[sp.ID]
					if !found {
						return nil, fmt.Errorf("special token %q has no entry in special_tokens", sp.ID)
					}
					out = append(out, tmplItem{special: true, ids: st.IDs, typeID: sp.TypeID})
				} else if sq, ok := it["Sequence"]; ok {
					seq := 0
					if sq.ID == "B" {
						seq = 1
					}
					out = append(out, tmplItem{seq: seq, typeID: sq.TypeID})
				} else {
					return nil, fmt.Errorf("template item %v is neither SpecialToken nor Sequence", it)
				}
			}
			return out, nil
		}
		if single, err = conv(p.Single); err != nil {
			return nil, nil, fmt.Errorf("TemplateProcessing single: %w", err)
		}
		if pair, err = conv(p.Pair); err != nil {
			return nil, nil, fmt.Errorf("TemplateProcessing pair: %w", err)
		}
		return single, pair, nil
	case "Sequence":
		list, _ := c["processors"].([]any)
		for i, e := range list {
			m, _ := e.(map[string]any)
			s, p, err := t.templates(m)
			if err != nil {
				return nil, nil, fmt.Errorf("Sequence[%d]: %w", i, err)
			}
			if s != nil {
				if single != nil {
					return nil, nil, errors.New("Sequence: more than one processor adds special tokens")
				}
				single, pair = s, p
			}
		}
		return single, pair, nil
	}
	return nil, nil, fmt.Errorf("post-processor type %q is not supported", typ)
}

// tokenFields are the special-token entries of tokenizer_config.json and
// special_tokens_map.json; each is a string or an {"content": ...} object.
var tokenFields = []string{"unk_token", "sep_token", "pad_token", "cls_token", "mask_token", "bos_token", "eos_token"}

// readJSONObject reads a JSON object file; a missing file gives nil.
func readJSONObject(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return m, nil
}

// tokenString reads a special token written as a string or {"content": s}.
func tokenString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case map[string]any:
		s, ok := x["content"].(string)
		return s, ok && s != ""
	}
	return "", false
}

// configuredPad returns the pad token named in special_tokens_map.json or
// tokenizer_config.json, if any.
func configuredPad(dir string) (string, bool) {
	for _, name := range []string{"special_tokens_map.json", "tokenizer_config.json"} {
		m, err := readJSONObject(filepath.Join(dir, name))
		if err != nil || m == nil {
			continue
		}
		if s, ok := tokenString(m["pad_token"]); ok {
			return s, true
		}
	}
	return "", false
}

// loadVocabTxt builds a BERT WordPiece tokenizer (or MPNet's variant) from
// dir/vocab.txt, as transformers converts a slow tokenizer to a fast one.
func loadVocabTxt(dir string, opt Options) (*Tokenizer, error) {
	path := filepath.Join(dir, "vocab.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load tokenizer from %s: no tokenizer.json, and %w", dir, err)
	}
	cfg := map[string]any{}
	for _, name := range []string{"tokenizer_config.json", "special_tokens_map.json"} {
		m, err := readJSONObject(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("load tokenizer: %w", err)
		}
		for k, v := range m { // special_tokens_map.json wins over tokenizer_config.json
			if v != nil {
				cfg[k] = v
			}
		}
	}
	vocab, err := parseVocabTxt(data)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	class, _ := cfg["tokenizer_class"].(string)
	mpnet := strings.HasPrefix(class, "MPNet")
	tokens := map[string]string{"unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"}
	if mpnet {
		tokens = map[string]string{"unk_token": "[UNK]", "sep_token": "</s>", "pad_token": "<pad>", "cls_token": "<s>",
			"mask_token": "<mask>", "bos_token": "<s>", "eos_token": "</s>"}
	}
	for _, f := range tokenFields {
		if s, ok := tokenString(cfg[f]); ok {
			tokens[f] = s
		}
	}
	lower := boolOr(cfg, "do_lower_case", true)
	t := &Tokenizer{opt: opt}
	if opt.MaxLength < 0 {
		return nil, fmt.Errorf("max length %d is negative", opt.MaxLength)
	}
	t.norm = bertNormalizer{cleanText: true, handleChinese: boolOr(cfg, "tokenize_chinese_chars", true),
		stripAccents: boolOr(cfg, "strip_accents", lower), lowercase: lower}
	t.pre = bertPreTokenizer{}
	if t.model, err = newWordPiece(vocab, tokens["unk_token"], "##", 100); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	// Special tokens are matched in the raw text; ones missing from the
	// vocabulary get the next free ids, as transformers does.
	next := int32(0)
	for _, id := range vocab {
		next = max(next, id+1)
	}
	var added []addedToken
	seen := map[string]bool{}
	for _, f := range tokenFields {
		s, ok := tokens[f]
		if !ok || seen[s] {
			continue
		}
		seen[s] = true
		id, found := vocab[s]
		if !found {
			id = next
			next++
		}
		added = append(added, addedToken{content: s, id: id, special: true, lstrip: f == "mask_token" && mpnet})
	}
	sort.Slice(added, func(i, j int) bool { return added[i].id < added[j].id })
	t.addedRaw, t.addedNorm = newAddedMatcher(added), newAddedMatcher(nil)
	t.setVocab(vocab, added)
	id := func(f string) []int32 { v, _ := t.tokenID(tokens[f]); return []int32{v} }
	cls, sep := id("cls_token"), id("sep_token")
	t.single = []tmplItem{{special: true, ids: cls}, {seq: 0}, {special: true, ids: sep}}
	if mpnet {
		t.pair = []tmplItem{{special: true, ids: cls}, {seq: 0}, {special: true, ids: sep}, {special: true, ids: sep}, {seq: 1}, {special: true, ids: sep}}
	} else {
		t.pair = []tmplItem{{special: true, ids: cls}, {seq: 0}, {special: true, ids: sep}, {seq: 1, typeID: 1}, {special: true, ids: sep, typeID: 1}}
	}
	t.nSingle, t.nPair = countSpecial(t.single), countSpecial(t.pair)
	padID, _ := t.tokenID(tokens["pad_token"])
	t.padID = int64(padID)
	t.description = "WordPiece (vocab.txt, BertNormalizer, BertPreTokenizer)"
	return t, nil
}

// parseVocabTxt reads one token a line; the id is the line number from 0.
// Only the "\n" is removed from each line, as transformers does; a repeated
// token keeps its last id.
func parseVocabTxt(data []byte) (map[string]int32, error) {
	vocab := map[string]int32{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	n := int32(0)
	for sc.Scan() {
		vocab[sc.Text()] = n
		n++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	if n == 0 {
		return nil, errors.New("empty vocabulary")
	}
	return vocab, nil
}

func isSpaceRune(r rune) bool { return isBertWhitespace(r) }

func isNumericRune(r rune) bool { return unicode.IsNumber(r) }
