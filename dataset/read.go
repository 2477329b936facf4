package dataset

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ReadExamples reads labelled texts from path: a JSONL, JSON, CSV or TSV table (see Options.TextCol),
// or one of the named formats:
//
//   - clinc150: a JSON object of splits, each [[text, intent], ...]; Options.Split is required.
//   - snips: a folder holding seq.in (one utterance a line) and label (its label on the same line),
//     or a folder of such folders chosen by Options.Split; path may also name seq.in or label.
//   - trec: "COARSE:fine question" lines; the label is COARSE (6 classes), or with format "trec-fine"
//     the whole "COARSE:fine" (50 classes). Lines that are not valid UTF-8 are read as ISO-8859-1.
//   - sst: "label sentence" lines (stsa.binary.*, stsa.fine.*, custrev.all); label-only lines are
//     skipped.
//   - emotion: "text;label" lines, split at the last semicolon.
//   - banking77: CSV with text and category columns (the csv reader with those columns).
func ReadExamples(path string, opt Options) ([]Example, error) {
	return readSource(path, nil, opt, kindExamples, func(src *source, opt Options) ([]Example, error) {
		if src.format == "snips" {
			_ = src.close()
			return readSnips(path, opt)
		}
		return readExamples(src, opt)
	})
}

// ReadExamplesFrom is ReadExamples for an open stream (standard input, say); name is used to detect
// the format and in messages. The snips format, which is a folder, cannot be read this way.
func ReadExamplesFrom(r io.Reader, name string, opt Options) ([]Example, error) {
	return readSource(name, r, opt, kindExamples, readExamples)
}

// readSource opens path (or uses r when it is not nil) as a source of kind k, reads it with read and
// closes it.
func readSource[T any](path string, r io.Reader, opt Options, k formatKind, read func(*source, Options) ([]T, error)) ([]T, error) {
	src, err := openSource(path, r, opt, k)
	if err != nil {
		return nil, err
	}
	defer src.close()
	return read(src, opt)
}

// readExamples reads labelled texts from an opened source of any file format (the snips folder only
// through ReadExamples).
func readExamples(src *source, opt Options) ([]Example, error) {
	var out []Example
	var err error
	switch src.format {
	case "snips":
		err = errorf(src.name, 0, "the snips format is a folder; give its path to ReadExamples")
	case "jsonl", "json", "csv", "tsv", "banking77":
		f := src.format
		if f == "banking77" {
			f = "csv"
			if opt.TextCol == "" {
				opt.TextCol = "text"
			}
			if opt.LabelCol == "" {
				opt.LabelCol = "category"
			}
		}
		err = readTable(src.br, src.name, f, opt, exampleRoles(opt), exampleRow(src.name, &out))
	case "clinc150":
		out, err = readCLINC(src, opt)
	case "trec", "trec-fine":
		out, err = readTREC(src, opt, src.format == "trec-fine")
	case "sst":
		out, err = readLines(src, opt, parseSST)
	case "emotion":
		out, err = readLines(src, opt, parseEmotion)
	default:
		err = errorf(src.name, 0, "format %s holds %s, not labelled texts", src.format, kindOf(src.format))
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadPairs reads sentence pairs with a score or a 0/1 label from path: a JSONL, JSON, CSV or TSV table
// with sentence1/sentence2/score columns (or the others listed by Options.TextCol; a "label" column
// serves as the score, and true/false read as 1/0), or
//
//   - stsb: the STS benchmark's tab-separated rows without a header: score, sentence1 and sentence2
//     in the fifth, sixth and seventh fields (0-based 4, 5, 6); extra fields are ignored, quotes are
//     literal. Scores must lie in [0, 5].
//   - sick: SICK.txt (tab-separated, header, CRLF): sentence_A, sentence_B and relatedness_score in
//     [1, 5]; Options.Split keeps the rows of one SemEval_set (TRAIN, TRIAL, TEST).
//
// Scores are returned as the file gives them; see NormalizeScores.
func ReadPairs(path string, opt Options) ([]Pair, error) {
	return readSource(path, nil, opt, kindPairs, readPairs)
}

// ReadPairsFrom is ReadPairs for an open stream; name is used to detect the format and in messages.
func ReadPairsFrom(r io.Reader, name string, opt Options) ([]Pair, error) {
	return readSource(name, r, opt, kindPairs, readPairs)
}

// readPairs reads pairs from an opened source.
func readPairs(src *source, opt Options) ([]Pair, error) {
	var out []Pair
	var err error
	switch src.format {
	case "jsonl", "json", "csv", "tsv":
		var roles []role
		if roles, err = pairRoles(src.name, opt); err == nil {
			err = readTable(src.br, src.name, src.format, opt, roles, pairRow(src.name, &out, math.Inf(-1), math.Inf(1), nil))
		}
	case "stsb":
		out, err = readSTSB(src, opt)
	case "sick":
		out, err = readSICK(src, opt)
	default:
		err = errorf(src.name, 0, "format %s holds %s, not sentence pairs", src.format, kindOf(src.format))
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadTriplets reads (anchor, positive, negative) texts from a JSONL, JSON, CSV or TSV table with
// anchor/positive/negative columns (or those named by Options.TextCol, "a,p,n").
func ReadTriplets(path string, opt Options) ([]Triplet, error) {
	return readSource(path, nil, opt, kindTriplets, readTriplets)
}

// ReadTripletsFrom is ReadTriplets for an open stream; name is used to detect the format and in
// messages.
func ReadTripletsFrom(r io.Reader, name string, opt Options) ([]Triplet, error) {
	return readSource(name, r, opt, kindTriplets, readTriplets)
}

// readTriplets reads triplets from an opened source.
func readTriplets(src *source, opt Options) ([]Triplet, error) {
	roles, err := tripletRoles(src.name, opt)
	if err != nil {
		return nil, err
	}
	var out []Triplet
	if err := readTable(src.br, src.name, src.format, opt, roles, tripletRow(src.name, &out)); err != nil {
		return nil, err
	}
	return out, nil
}

// lineParser turns one non-blank line into an example; skip drops the line.
type lineParser func(line string) (ex Example, skip bool, err error)

// readLines reads a one-example-a-line format.
func readLines(src *source, opt Options, parse lineParser) ([]Example, error) {
	lr, err := openLines(src.br, src.name, opt.Encoding)
	if err != nil {
		return nil, err
	}
	var out []Example
	for line, err := range nonBlankLines(lr.nextUTF8) {
		if err != nil {
			return nil, err
		}
		ex, skip, err := parse(string(line))
		if err != nil {
			return nil, &Error{Path: src.name, Line: lr.n, Err: err}
		}
		if !skip {
			out = append(out, ex)
		}
	}
	if len(out) == 0 {
		return nil, errorf(src.name, 0, "no records (blank lines only)")
	}
	return out, nil
}

// parseSST reads "label sentence".
func parseSST(line string) (Example, bool, error) {
	line = strings.TrimSpace(line)
	label, text, _ := strings.Cut(line, " ")
	if text = strings.TrimSpace(text); text == "" {
		return Example{}, true, nil
	}
	return Example{Text: text, Label: label}, false, nil
}

// parseEmotion reads "text;label".
func parseEmotion(line string) (Example, bool, error) {
	i := strings.LastIndexByte(line, ';')
	if i < 0 {
		return Example{}, false, fmt.Errorf("no ';' between text and label in %q", clip(line))
	}
	text, label := strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
	if text == "" {
		return Example{}, false, errors.New("empty text before ';'")
	}
	if label == "" {
		return Example{}, false, errors.New("empty label after ';'")
	}
	return Example{Text: text, Label: label}, false, nil
}

// readTREC reads "COARSE:fine question" lines, taking a line that is not valid UTF-8 as ISO-8859-1.
func readTREC(src *source, opt Options, fine bool) ([]Example, error) {
	lr, err := openLines(src.br, src.name, opt.Encoding)
	if err != nil {
		return nil, err
	}
	var out []Example
	for raw, err := range nonBlankLines(lr.next) {
		if err != nil {
			return nil, err
		}
		line := string(raw)
		if checkUTF8(raw) != nil {
			line = latin1(raw)
		}
		label, text, _ := strings.Cut(strings.TrimSpace(line), " ")
		coarse, sub, ok := strings.Cut(label, ":")
		text = strings.TrimSpace(text)
		if !ok || coarse == "" || sub == "" || text == "" {
			return nil, errorf(src.name, lr.n, "want \"COARSE:fine question\", got %q", clip(line))
		}
		if !fine {
			label = coarse
		}
		out = append(out, Example{Text: text, Label: label})
	}
	if len(out) == 0 {
		return nil, errorf(src.name, 0, "no records (blank lines only)")
	}
	return out, nil
}

// readSTSB reads STS benchmark rows.
func readSTSB(src *source, opt Options) ([]Pair, error) {
	lr, err := openLines(src.br, src.name, opt.Encoding)
	if err != nil {
		return nil, err
	}
	var out []Pair
	row := pairRow(src.name, &out, 0, 5, nil)
	cols := []string{"6 (sentence1)", "7 (sentence2)", "5 (score)"}
	for line, err := range nonBlankLines(lr.nextUTF8) {
		if err != nil {
			return nil, err
		}
		f := strings.Split(string(line), "\t")
		if len(f) < 7 {
			return nil, errorf(src.name, lr.n, "%d tab-separated field(s); STS-B rows need at least 7 (genre, file, year, id, score, sentence1, sentence2)", len(f))
		}
		if err := row(lr.n, []string{f[5], f[6], f[4]}, cols); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, errorf(src.name, 0, "no records (blank lines only)")
	}
	return out, nil
}

// readSICK reads SICK.txt, keeping the rows of opt.Split when it is set.
func readSICK(src *source, opt Options) ([]Pair, error) {
	roles := []role{
		{what: "first sentence", explicit: "sentence_A", option: "Format"},
		{what: "second sentence", explicit: "sentence_B", option: "Format"},
		{what: "score", explicit: "relatedness_score", option: "Format"},
		{what: "split", explicit: "SemEval_set", option: "Split", optional: opt.Split == ""},
	}
	want := strings.TrimSpace(opt.Split)
	seen := map[string]bool{}
	var keep func(string) bool
	if want != "" {
		keep = func(v string) bool {
			v = strings.TrimSpace(v)
			seen[v] = true
			return strings.EqualFold(v, want)
		}
	}
	var out []Pair
	tsvOpt := opt
	tsvOpt.NoHeader = false
	if err := readTable(src.br, src.name, "tsv", tsvOpt, roles, pairRow(src.name, &out, 1, 5, keep)); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errorf(src.name, 0, "no rows with SemEval_set %q (values: %s)", want, listKeys(sortedKeys(seen)))
	}
	return out, nil
}

// sortedKeys returns the keys of a set, sorted.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readSnips reads a SNIPS folder (seq.in and label), or its sub-folder opt.Split.
func readSnips(path string, opt Options) ([]Example, error) {
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	has := func(d string) bool {
		st, err := os.Stat(filepath.Join(d, "seq.in"))
		return err == nil && !st.IsDir()
	}
	split := strings.TrimSpace(opt.Split)
	switch {
	case has(dir) && (split == "" || strings.EqualFold(split, filepath.Base(dir))):
	case has(dir):
		return nil, errorf(dir, 0, "holds one split (seq.in and label) but Split %q was asked for", split)
	case split == "":
		return nil, errorf(dir, 0, "no seq.in here; choose a split among %s", listKeys(snipsSplits(dir, has)))
	default:
		cands := []string{split}
		if strings.EqualFold(split, "val") {
			cands = append(cands, "valid")
		}
		found := false
		for _, c := range cands {
			if d := filepath.Join(dir, c); has(d) {
				dir, found = d, true
				break
			}
		}
		if !found {
			return nil, errorf(dir, 0, "no split %q (seq.in and label); splits: %s", split, listKeys(snipsSplits(dir, has)))
		}
	}
	return readSnipsDir(dir, opt)
}

// snipsSplits lists the sub-folders of dir that hold seq.in.
func snipsSplits(dir string, has func(string) bool) []string {
	ents, _ := os.ReadDir(dir)
	var out []string
	for _, e := range ents {
		if e.IsDir() && has(filepath.Join(dir, e.Name())) {
			out = append(out, e.Name())
		}
	}
	return out
}

// readSnipsDir reads dir/seq.in and dir/label line by line together.
func readSnipsDir(dir string, opt Options) ([]Example, error) {
	open := func(name string) (*lineReader, func() error, error) {
		p := filepath.Join(dir, name)
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, &Error{Path: p, Err: err}
		}
		lr, err := openLines(f, p, opt.Encoding)
		if err != nil {
			_ = f.Close()
			return nil, nil, err
		}
		return lr, f.Close, nil
	}
	texts, closeT, err := open("seq.in")
	if err != nil {
		return nil, err
	}
	defer closeT()
	labels, closeL, err := open("label")
	if err != nil {
		return nil, err
	}
	defer closeL()
	var out []Example
	for {
		t, errT := texts.nextUTF8()
		if errT != nil && !errors.Is(errT, io.EOF) {
			return nil, errT
		}
		var tc string
		if errT == nil {
			tc = string(t) // t is reused by the next read
		}
		l, errL := labels.nextUTF8()
		if errL != nil && !errors.Is(errL, io.EOF) {
			return nil, errL
		}
		switch {
		case errT != nil && errL != nil:
			if len(out) == 0 {
				return nil, errorf(texts.name, 0, "no records (blank lines only)")
			}
			return out, nil
		case errT != nil:
			return nil, errorf(labels.name, labels.n, "has more lines than %s (%d)", texts.name, texts.n)
		case errL != nil:
			return nil, errorf(texts.name, texts.n, "has more lines than %s (%d)", labels.name, labels.n)
		}
		text, label := strings.TrimSpace(tc), strings.TrimSpace(string(l))
		switch {
		case text == "" && label == "":
			continue
		case text == "":
			return nil, errorf(texts.name, texts.n, "empty utterance for label %q", label)
		case label == "":
			return nil, errorf(labels.name, labels.n, "empty label for %q", clip(text))
		}
		out = append(out, Example{Text: text, Label: label})
	}
}
