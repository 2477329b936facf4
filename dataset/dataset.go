// Package dataset reads the data that fewshot classifies, compares and trains on: labelled texts
// ([Example]), scored or labelled sentence pairs ([Pair]) and triplets ([Triplet]), from JSONL, JSON,
// CSV and TSV files and from the layouts of the public sets the project evaluates on (CLINC150, SNIPS,
// TREC, SST-2/CR, emotion, Banking77, STS benchmark, SICK).
//
// Rules shared by every reader:
//
//   - Text is UTF-8. A UTF-8 byte-order mark is dropped; a UTF-16 one is an error. Invalid UTF-8 is an
//     error that names the file and line (nothing is silently replaced), except in the TREC format,
//     whose lines are read as ISO-8859-1 when they are not valid UTF-8, and where [Options.Encoding]
//     names a single-byte encoding for the whole file.
//   - Lines may end in LF or CRLF. Blank lines between records are skipped.
//   - Texts and labels are trimmed of surrounding white space. An empty text, label or sentence in a
//     record is an error, except in the sst format, where a line holding only a label is skipped
//     (custrev.all has four).
//   - Every error names the file and, where it concerns one record, its 1-based line: "read PATH line
//     N: problem". Such errors are [*Error] values.
//   - Lines may be long (several MB); one line may not exceed [MaxLineBytes]. Line-based readers and
//     [ReadTexts] hold one line at a time; the others hold the file's records (and the JSON formats the
//     whole file) in memory.
package dataset

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// Example is one labelled text.
type Example struct {
	Text, Label string
}

// Pair is two sentences with a similarity score (0-1 or 0-5, as the source gives it; see
// [NormalizeScores]) or a 0/1 label.
type Pair struct {
	A, B  string
	Score float64
}

// Triplet is an anchor text, a text that should embed close to it and one that should not.
type Triplet struct {
	Anchor, Positive, Negative string
}

// Options say how to read a file. The zero value detects everything.
type Options struct {
	// Format is "" to detect it from the file name, extension and content (see [DetectFormat]), or one
	// of [Formats]: "jsonl", "json" (an array of objects), "csv", "tsv", "clinc150", "snips", "trec",
	// "trec-fine", "sst", "emotion", "banking77", "stsb", "sick".
	Format string
	// TextCol and LabelCol name the CSV/TSV column or JSON key to read; empty picks the first of a list
	// of usual names (text, sentence, utterance, query, question, ... and label_text, label, category,
	// intent, class, ...), matched without regard to case. For ReadPairs, TextCol may name the two
	// sentence columns separated by a comma ("s1,s2") and LabelCol the score column; for ReadTriplets,
	// TextCol may name the three columns ("q,pos,neg"). With NoHeader they are 0-based column numbers.
	TextCol, LabelCol string
	// Split picks a part of a multi-split source: a CLINC150 split ("train", "val", "test", "oos_train",
	// "oos_val", "oos_test"; several may be joined with commas, read in that order; required there), a
	// SNIPS folder's sub-folder ("train", "valid" or "val", "test"), or SICK's SemEval_set column
	// ("TRAIN", "TRIAL", "TEST", any case; empty reads all rows). Other formats have no splits and
	// reject a non-empty Split.
	Split string
	// NoHeader says a CSV/TSV file has no header row; columns are then named by their 0-based number
	// and default to 0 (text) and 1 (label), or 0,1 and 2 for pairs, or 0,1,2 for triplets.
	NoHeader bool
	// Encoding is "" or "utf-8" for UTF-8, or "latin1" ("iso-8859-1") or "windows-1252" ("cp1252") to
	// decode a whole file from that single-byte encoding first.
	Encoding string
}

// MaxLineBytes is the longest line (or CSV record) any reader accepts.
const MaxLineBytes = 64 << 20

// Error is a problem with an input file, or with one line of it.
type Error struct {
	Path string // the file (or stream) name as given
	Line int    // 1-based line number; 0 when the problem concerns the whole file
	Err  error  // what is wrong
}

// Error formats the problem as "read PATH line N: problem" (or "read PATH: problem").
func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("read %s line %d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("read %s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying problem.
func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error for path and line with a formatted message.
func errorf(path string, line int, format string, args ...any) error {
	return &Error{Path: path, Line: line, Err: fmt.Errorf(format, args...)}
}

// Labels returns the distinct labels of ex, sorted.
func Labels(ex []Example) []string {
	seen := make(map[string]struct{})
	var out []string
	for _, e := range ex {
		if _, ok := seen[e.Label]; !ok {
			seen[e.Label] = struct{}{}
			out = append(out, e.Label)
		}
	}
	sort.Strings(out)
	return out
}

// CountLabels returns how many examples carry each label.
func CountLabels(ex []Example) map[string]int {
	n := make(map[string]int)
	for _, e := range ex {
		n[e.Label]++
	}
	return n
}

// Validate checks a set of examples read from path (the name only appears in messages): it must not
// be empty, and every text and label must be non-empty valid UTF-8.
func Validate(ex []Example, path string) error {
	if len(ex) == 0 {
		return fmt.Errorf("%s: no examples", path)
	}
	for i, e := range ex {
		switch {
		case e.Text == "":
			return fmt.Errorf("%s: example %d (label %q) has an empty text", path, i+1, e.Label)
		case e.Label == "":
			return fmt.Errorf("%s: example %d (%q) has an empty label", path, i+1, clip(e.Text))
		case !utf8.ValidString(e.Text):
			return fmt.Errorf("%s: example %d has a text that is not valid UTF-8", path, i+1)
		case !utf8.ValidString(e.Label):
			return fmt.Errorf("%s: example %d has a label that is not valid UTF-8", path, i+1)
		}
	}
	return nil
}

// NormalizeScores maps every pair's score from [lo, hi] to [0, 1] in place (for example lo 0, hi 5
// for STS-B, lo 1, hi 5 for SICK). A score outside [lo, hi] is an error naming the pair.
func NormalizeScores(p []Pair, lo, hi float64) error {
	if !(hi > lo) {
		return fmt.Errorf("normalize scores: range [%g, %g] is empty", lo, hi)
	}
	for i := range p {
		if p[i].Score < lo || p[i].Score > hi {
			return fmt.Errorf("normalize scores: pair %d has score %g outside [%g, %g]", i+1, p[i].Score, lo, hi)
		}
	}
	for i := range p {
		p[i].Score = (p[i].Score - lo) / (hi - lo)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 60
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}
