package augment

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// DefaultWordNetDir is where Debian's wordnet-base package puts the WordNet 3.0 database.
const DefaultWordNetDir = "/usr/share/wordnet"

// Synset is one WordNet synonym set.
type Synset struct {
	// Offset is the synset's byte offset in its data file (its WordNet id within a part of speech).
	Offset int64
	// POS is the synset type: 'n' noun, 'v' verb, 'a' adjective, 's' adjective satellite, 'r' adverb.
	POS byte
	// Words are the synset's lemmas in file order, with underscores turned into spaces and
	// adjective syntactic markers such as "(p)" removed; case is kept ("Canis familiaris").
	Words []string
	// Gloss is the whole gloss text after the "|" (definition and examples), trimmed.
	Gloss string
	// Definition is the part of the gloss before its first example.
	Definition string
	// Examples are the quoted example sentences of the gloss, without their quotes.
	Examples []string
}

// WordNet is an in-memory, read-only WordNet database. It is safe for concurrent use.
type WordNet struct {
	synsets []Synset
	// index maps a normalised lemma (lower case, spaces for underscores) to the indices of the
	// synsets holding it, in storage order (noun, verb, adjective, adverb; file order within each).
	index map[string][]int32
}

// LoadWordNet reads data.noun, data.verb, data.adj and data.adv (WordNet 3.0 database format, see
// wndb(5)) from dir; an empty dir means DefaultWordNetDir. It verifies that every synset_offset
// matches the line's byte offset, so a damaged or re-encoded file is reported, not half-read.
func LoadWordNet(dir string) (*WordNet, error) {
	if dir == "" {
		dir = DefaultWordNetDir
	}
	// The data files, in the order their synsets are stored.
	files := [...]string{"data.noun", "data.verb", "data.adj", "data.adv"}
	var (
		parts [len(files)][]Synset
		errs  [len(files)]error
		wg    sync.WaitGroup
	)
	for i, name := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = loadDataFile(filepath.Join(dir, name))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	w := &WordNet{synsets: make([]Synset, 0, total), index: make(map[string][]int32, total+total/4)}
	for _, p := range parts {
		w.synsets = append(w.synsets, p...)
	}
	for i := range w.synsets {
		for _, word := range w.synsets[i].Words {
			key := normLemma(word)
			ids := w.index[key]
			if n := len(ids); n > 0 && ids[n-1] == int32(i) {
				continue // the same lemma twice in one synset
			}
			w.index[key] = append(ids, int32(i))
		}
	}
	return w, nil
}

// loadDataFile reads and parses one data.pos file.
func loadDataFile(path string) ([]Synset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("wordnet: %s is missing; install the Debian package wordnet-base (apt-get install wordnet-base) or pass the directory of a WordNet 3.0 database: %w", path, err)
		}
		return nil, fmt.Errorf("wordnet: read %s: %w", path, err)
	}
	// About 130 bytes of line per synset in WordNet 3.0: size the slice once.
	out := make([]Synset, 0, len(data)/120)
	lineNo := 0
	for pos := 0; pos < len(data); {
		lineNo++
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos
		}
		line := data[pos:end]
		start := pos
		pos = end + 1
		if len(line) == 0 || line[0] == ' ' { // licence header lines start with two spaces
			continue
		}
		s, err := parseDataLine(line, int64(start))
		if err != nil {
			return nil, fmt.Errorf("wordnet: %s line %d: %w", path, lineNo, err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("wordnet: %s holds no synsets", path)
	}
	return out, nil
}

// fieldCursor walks the space-separated fields of one data line.
type fieldCursor struct {
	line []byte
	pos  int
}

// next returns the next field, or false at the end of the line.
func (c *fieldCursor) next() ([]byte, bool) {
	for c.pos < len(c.line) && c.line[c.pos] == ' ' {
		c.pos++
	}
	if c.pos >= len(c.line) {
		return nil, false
	}
	start := c.pos
	for c.pos < len(c.line) && c.line[c.pos] != ' ' {
		c.pos++
	}
	return c.line[start:c.pos], true
}

// need returns the next field or an error naming what was expected.
func (c *fieldCursor) need(what string) ([]byte, error) {
	f, ok := c.next()
	if !ok {
		return nil, fmt.Errorf("line ends before %s", what)
	}
	return f, nil
}

// needInt parses the next field as an integer in the given base.
func (c *fieldCursor) needInt(what string, base int) (int64, error) {
	f, err := c.need(what)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(f), base, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad %s %q", what, f)
	}
	return v, nil
}

// parseDataLine parses "synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...]
// p_cnt [ptr...] [frames...] | gloss"; at is the line's byte offset in the file.
func parseDataLine(line []byte, at int64) (Synset, error) {
	c := fieldCursor{line: line}
	var s Synset
	off, err := c.needInt("synset_offset", 10)
	if err != nil {
		return s, err
	}
	if off != at {
		return s, fmt.Errorf("synset_offset %08d does not match the line's byte offset %d (file damaged or re-encoded?)", off, at)
	}
	s.Offset = off
	if _, err := c.needInt("lex_filenum", 10); err != nil {
		return s, err
	}
	typ, err := c.need("ss_type")
	if err != nil {
		return s, err
	}
	if len(typ) != 1 || !strings.ContainsRune("nvasr", rune(typ[0])) {
		return s, fmt.Errorf("bad ss_type %q", typ)
	}
	s.POS = typ[0]
	wcnt, err := c.needInt("w_cnt", 16)
	if err != nil {
		return s, err
	}
	if wcnt == 0 {
		return s, fmt.Errorf("w_cnt is 0")
	}
	s.Words = make([]string, 0, wcnt)
	for i := int64(0); i < wcnt; i++ {
		word, ok := c.next()
		if !ok {
			return s, fmt.Errorf("line ends before word %d of %d", i+1, wcnt)
		}
		if _, err := c.needInt("lex_id", 16); err != nil {
			return s, err
		}
		s.Words = append(s.Words, cleanLemma(word))
	}
	pcnt, err := c.needInt("p_cnt", 10)
	if err != nil {
		return s, err
	}
	for i := int64(0); i < pcnt*4; i++ { // pointer_symbol synset_offset pos source/target
		if _, ok := c.next(); !ok {
			return s, fmt.Errorf("line ends inside pointer %d of %d", i/4+1, pcnt)
		}
	}
	f, err := c.need("gloss separator |")
	if err != nil {
		return s, err
	}
	if s.POS == 'v' && !bytes.Equal(f, []byte("|")) { // verb frames: f_cnt + f_num w_num [+ f_num w_num...]
		fcnt, err := strconv.Atoi(string(f))
		if err != nil {
			return s, fmt.Errorf("bad f_cnt %q", f)
		}
		for i := 0; i < fcnt*3; i++ {
			if _, err := c.need("verb frame"); err != nil {
				return s, err
			}
		}
		if f, err = c.need("gloss separator |"); err != nil {
			return s, err
		}
	}
	if !bytes.Equal(f, []byte("|")) {
		return s, fmt.Errorf("found %q where the gloss separator | belongs", f)
	}
	s.Gloss = string(bytes.TrimSpace(line[c.pos:]))
	s.Definition, s.Examples = splitGloss(s.Gloss)
	return s, nil
}

// cleanLemma turns a data-file word into display form: underscores become spaces and an
// adjective syntactic marker ("(a)", "(p)", "(ip)") is removed.
func cleanLemma(word []byte) string {
	if n := len(word); n > 2 && word[n-1] == ')' {
		if i := bytes.LastIndexByte(word, '('); i > 0 {
			switch string(word[i:]) {
			case "(a)", "(p)", "(ip)":
				word = word[:i]
			}
		}
	}
	s := string(word)
	if strings.IndexByte(s, '_') >= 0 {
		s = strings.ReplaceAll(s, "_", " ")
	}
	return s
}

// normLemma is the lookup key of a word or lemma: lower case, spaces for underscores, trimmed.
func normLemma(word string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(word), "_", " "))
}

// splitGloss separates a gloss into its definition and its quoted examples. WordNet writes
// `definition; "example one"; "example two"`; a few glosses in 3.0 lose a quote, so an example
// also ends at `; "` and, after the first example, an unopened segment ending in `"` counts too.
func splitGloss(g string) (string, []string) {
	first := -1
	for i := 0; i < len(g); i++ {
		if g[i] == '"' && atSegmentStart(g, i) {
			first = i
			break
		}
	}
	if first < 0 {
		return g, nil
	}
	def := strings.TrimRight(g[:first], "; ")
	var ex []string
	rest := g[first:]
	for rest != "" {
		var seg string
		if rest[0] == '"' {
			body := rest[1:]
			end := len(body)
			next := len(body)
			for j := 0; j < len(body); j++ {
				if body[j] == '"' {
					k := j + 1
					for k < len(body) && body[k] == ' ' {
						k++
					}
					if k == len(body) || body[k] == ';' {
						end, next = j, k
						break
					}
				}
				if body[j] == ';' && strings.HasPrefix(strings.TrimLeft(body[j+1:], " "), `"`) {
					end, next = j, j
					break
				}
			}
			seg = body[:end]
			rest = body[next:]
		} else {
			j := strings.Index(rest, `; "`)
			if j < 0 {
				j = len(rest)
			}
			seg = rest[:j]
			rest = rest[j:]
			if !strings.HasSuffix(strings.TrimSpace(seg), `"`) {
				seg = "" // unquoted trailing text is not an example
			}
		}
		if seg = strings.Trim(seg, ` ";`); seg != "" {
			ex = append(ex, seg)
		}
		rest = strings.TrimLeft(rest, "; ")
	}
	return def, ex
}

// atSegmentStart reports whether g[i] starts a "; "-separated gloss segment.
func atSegmentStart(g string, i int) bool {
	j := i - 1
	for j >= 0 && g[j] == ' ' {
		j--
	}
	return j < 0 || g[j] == ';'
}

// Synonyms returns the lemmas that share a synset with word, in any part of speech. Matching is
// case-insensitive and treats spaces and underscores alike; the word itself is excluded, results
// are deduplicated case-insensitively (the first spelling wins), and the order is deterministic:
// synsets in storage order (noun, verb, adjective, adverb; file order within each), lemmas in
// synset order. Multi-word lemmas come back with spaces ("in high spirits").
func (w *WordNet) Synonyms(word string) []string {
	key := normLemma(word)
	ids := w.index[key]
	if len(ids) == 0 {
		return nil
	}
	seen := map[string]struct{}{key: {}}
	var out []string
	for _, id := range ids {
		for _, lemma := range w.synsets[id].Words {
			k := normLemma(lemma)
			if _, dup := seen[k]; dup {
				continue
			}
			seen[k] = struct{}{}
			out = append(out, lemma)
		}
	}
	return out
}

// HasWord reports whether word (case-insensitive) is a lemma of some synset.
func (w *WordNet) HasWord(word string) bool {
	return len(w.index[normLemma(word)]) > 0
}

// SynsetsOf returns the synsets holding word (case-insensitive), in storage order. The returned
// structs share their Words and Examples slices with the database: do not modify them.
func (w *WordNet) SynsetsOf(word string) []Synset {
	ids := w.index[normLemma(word)]
	out := make([]Synset, len(ids))
	for i, id := range ids {
		out[i] = w.synsets[id]
	}
	return out
}

// Synsets returns every synset in storage order (noun, verb, adjective, adverb; file order
// within each), for building training pairs. The slice is a fresh copy, but the structs share
// their Words and Examples slices with the database: do not modify them.
func (w *WordNet) Synsets() []Synset {
	return append([]Synset(nil), w.synsets...)
}

// Len returns the number of synsets.
func (w *WordNet) Len() int {
	return len(w.synsets)
}
