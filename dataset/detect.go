package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// sniffBytes is how much of a file format detection looks at.
const sniffBytes = 64 << 10

// Formats returns the format names Options.Format accepts.
func Formats() []string {
	return []string{"jsonl", "json", "csv", "tsv", "clinc150", "snips", "trec", "trec-fine", "sst", "emotion", "banking77", "stsb", "sick"}
}

// formatAliases maps other spellings to a format name.
var formatAliases = map[string]string{
	"ndjson": "jsonl", "jsonlines": "jsonl", "clinc": "clinc150", "sts-b": "stsb", "stsbenchmark": "stsb",
	"sst2": "sst", "sst-2": "sst", "cr": "sst", "trec-coarse": "trec",
}

// canonFormat returns the canonical name of a format, or an error listing the valid ones.
func canonFormat(name, f string) (string, error) {
	f = strings.ToLower(strings.TrimSpace(f))
	if a, ok := formatAliases[f]; ok {
		return a, nil
	}
	for _, g := range Formats() {
		if f == g {
			return g, nil
		}
	}
	return "", errorf(name, 0, "unknown format %q (want one of %s)", f, strings.Join(Formats(), ", "))
}

// Name patterns of the public sets' files.
var (
	stsbName = regexp.MustCompile(`(?i)^sts-(train|dev|test)\.(csv|tsv|txt)$`)
	trecName = regexp.MustCompile(`(?i)^(trec[._].*|train_\d+\.label)$`)
	sickName = regexp.MustCompile(`(?i)^sick.*\.(txt|tsv)$`)
	sstName  = regexp.MustCompile(`(?i)^(stsa\.(binary|fine)\..*|custrev\.all)$`)
	trecLine = regexp.MustCompile(`^[A-Z]+:\S+ +\S`)
	sstLine  = regexp.MustCompile(`^\d+ `)
	emoLabel = regexp.MustCompile(`^[A-Za-z][A-Za-z_-]*$`)
)

// DetectFormat names the format ReadExamples, ReadPairs or ReadTriplets would read path as, when
// Options.Format is empty. A folder is snips; otherwise the file's name decides for the public sets
// (stsa.binary.*, custrev.all, TREC.*, SICK*.txt, sts-*.csv, seq.in, label), then its extension
// (.jsonl, .json, .csv, .tsv, checked against the content), then its first lines.
func DetectFormat(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", &Error{Path: path, Err: err}
	}
	if st.IsDir() {
		return "snips", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", &Error{Path: path, Err: err}
	}
	defer f.Close()
	head, complete, err := peekHead(bufio.NewReaderSize(f, sniffBytes))
	if err != nil {
		return "", &Error{Path: path, Err: err}
	}
	return detect(path, head, complete)
}

// peekHead returns the first bytes of br without consuming them, and whether they are all of it.
func peekHead(br *bufio.Reader) ([]byte, bool, error) {
	head, err := br.Peek(sniffBytes)
	if err == nil || errors.Is(err, bufio.ErrBufferFull) {
		return head, false, nil
	}
	if errors.Is(err, io.EOF) {
		return head, true, nil
	}
	return head, false, err
}

// detect names the format of a file from its name and its first bytes.
func detect(name string, head []byte, complete bool) (string, error) {
	base := filepath.Base(name)
	lower := strings.ToLower(base)
	switch {
	case lower == "seq.in" || lower == "label":
		return "snips", nil
	case sstName.MatchString(base):
		return "sst", nil
	case trecName.MatchString(base):
		return "trec", nil
	case sickName.MatchString(base) && looksSICK(head):
		return "sick", nil
	case stsbName.MatchString(base):
		return "stsb", nil
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	lines := headLines(head, complete)
	switch strings.ToLower(filepath.Ext(base)) {
	case ".jsonl", ".ndjson", ".jsonlines":
		return "jsonl", nil
	case ".json":
		if f := sniffJSON(lines); f != "" {
			return f, nil
		}
		return "json", nil
	case ".csv":
		if looksSTSB(lines) {
			return "stsb", nil
		}
		return "csv", nil
	case ".tsv":
		switch {
		case looksSICK(head):
			return "sick", nil
		case looksSTSB(lines):
			return "stsb", nil
		}
		return "tsv", nil
	}
	switch {
	case len(lines) == 0:
		return "", errorf(name, 0, "empty file")
	case looksSICK(head):
		return "sick", nil
	case looksSTSB(lines):
		return "stsb", nil
	case sniffJSON(lines) != "":
		return sniffJSON(lines), nil
	case all(lines, trecLine.Match):
		return "trec", nil
	case all(lines, sstLine.Match):
		return "sst", nil
	case all(lines, looksEmotion):
		return "emotion", nil
	case looksHeader(lines[0], '\t'):
		return "tsv", nil
	case looksHeader(lines[0], ','):
		return "csv", nil
	}
	return "", errorf(name, 0, "cannot tell the format from the name or the first lines; set the format (one of %s)", strings.Join(Formats(), ", "))
}

// headLines returns up to 20 non-blank lines of head, without the last one if it may be cut off.
func headLines(head []byte, complete bool) [][]byte {
	var out [][]byte
	rest := head
	for len(rest) > 0 && len(out) < 20 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			if !complete {
				break
			}
			i = len(rest)
		}
		line := bytes.TrimSuffix(rest[:i], []byte{'\r'})
		if !isBlank(line) {
			out = append(out, line)
		}
		if i >= len(rest) {
			break
		}
		rest = rest[i+1:]
	}
	if len(out) == 0 && !complete && len(head) > 0 {
		out = append(out, head) // one very long first line
	}
	return out
}

// all reports whether every line matches.
func all(lines [][]byte, match func([]byte) bool) bool {
	if len(lines) == 0 {
		return false
	}
	for _, l := range lines {
		if !match(l) {
			return false
		}
	}
	return true
}

// looksSICK reports whether head starts with SICK's header.
func looksSICK(head []byte) bool {
	return bytes.HasPrefix(bytes.TrimPrefix(head, utf8BOM), []byte("pair_ID\tsentence_A\tsentence_B\t"))
}

// looksSTSB reports whether the lines are STS-B rows: 7 or more tab-separated fields, the fifth a
// score in [0, 5].
func looksSTSB(lines [][]byte) bool {
	return all(lines, func(l []byte) bool {
		f := bytes.Split(l, []byte{'\t'})
		if len(f) < 7 {
			return false
		}
		s, err := strconv.ParseFloat(string(bytes.TrimSpace(f[4])), 64)
		return err == nil && s >= 0 && s <= 5
	})
}

// looksEmotion reports whether a line is "text;label" with a one-word label.
func looksEmotion(l []byte) bool {
	i := bytes.LastIndexByte(l, ';')
	return i > 0 && bytes.IndexByte(l, '\t') < 0 && emoLabel.Match(bytes.TrimSpace(l[i+1:]))
}

// looksHeader reports whether a first line split on sep names a usual text or sentence column.
func looksHeader(l []byte, sep byte) bool {
	if bytes.IndexByte(l, sep) < 0 {
		return false
	}
	for _, f := range bytes.Split(l, []byte{sep}) {
		f = bytes.Trim(bytes.TrimSpace(f), `"`)
		for _, names := range [][]string{textNames, sentence1Name, anchorNames} {
			for _, n := range names {
				if strings.EqualFold(string(f), n) {
					return true
				}
			}
		}
	}
	return false
}

// sniffJSON tells JSON Lines ("jsonl"), a CLINC150-style object of splits ("clinc150") and a JSON
// array ("json") apart from the first lines; "" when the lines are not JSON.
func sniffJSON(lines [][]byte) string {
	if len(lines) == 0 {
		return ""
	}
	first := bytes.TrimSpace(lines[0])
	if len(first) == 0 {
		return ""
	}
	switch first[0] {
	case '[':
		return "json"
	case '{':
	default:
		return ""
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(first, &obj) != nil {
		return "clinc150" // an object spread over lines
	}
	splits := 0
	for k, v := range obj {
		v = bytes.TrimSpace(v)
		if clincSplit(k) && len(v) > 0 && v[0] == '[' {
			splits++
		}
	}
	if splits > 0 && splits == len(obj) {
		return "clinc150" // an object of splits on one line
	}
	return "jsonl"
}

// clincSplit reports whether k is a split name of the CLINC150 files.
func clincSplit(k string) bool {
	switch strings.TrimPrefix(strings.ToLower(k), "oos_") {
	case "train", "val", "test":
		return true
	}
	return false
}

// formatKind is what a format holds.
type formatKind int

const (
	kindExamples formatKind = iota
	kindPairs
	kindTriplets
)

// String names the kind for messages.
func (k formatKind) String() string {
	return [...]string{"labelled texts", "sentence pairs", "triplets"}[k]
}

// holds reports whether format f can be read as kind k.
func holds(f string, k formatKind) bool {
	switch f {
	case "jsonl", "json", "csv", "tsv":
		return true
	case "stsb", "sick":
		return k == kindPairs
	}
	return k == kindExamples
}

// kindOf returns what a named format holds.
func kindOf(f string) formatKind {
	switch f {
	case "stsb", "sick":
		return kindPairs
	}
	return kindExamples
}

// checkFormat fails when format f cannot give kind k or cannot take opt.Split.
func checkFormat(name, f string, k formatKind, opt Options) error {
	if !holds(f, k) {
		return errorf(name, 0, "format %s holds %s, not %s", f, kindOf(f), k)
	}
	if opt.Split != "" {
		switch f {
		case "clinc150", "snips", "sick":
		default:
			return errorf(name, 0, "format %s has no splits (Split %q); give the split's own file", f, opt.Split)
		}
	}
	return nil
}

// source is an open input with its format settled.
type source struct {
	name   string
	format string
	br     *bufio.Reader
	close  func() error
}

// openSource opens path (or uses r when it is not nil) and settles the format for reading kind k.
func openSource(path string, r io.Reader, opt Options, k formatKind) (*source, error) {
	s := &source{name: path, close: func() error { return nil }}
	if r == nil {
		st, err := os.Stat(path)
		if err != nil {
			return nil, &Error{Path: path, Err: err}
		}
		if st.IsDir() {
			s.format = "snips"
			if opt.Format != "" {
				f, err := canonFormat(path, opt.Format)
				if err != nil {
					return nil, err
				}
				if f != "snips" {
					return nil, errorf(path, 0, "is a folder; only the snips format reads folders")
				}
			}
			return s, checkFormat(path, s.format, k, opt)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, &Error{Path: path, Err: err}
		}
		r = f
		s.close = f.Close
	}
	s.br = bufio.NewReaderSize(r, sniffBytes)
	if opt.Format != "" {
		f, err := canonFormat(path, opt.Format)
		if err != nil {
			_ = s.close()
			return nil, err
		}
		s.format = f
	} else {
		head, complete, err := peekHead(s.br)
		if err != nil {
			_ = s.close()
			return nil, &Error{Path: path, Err: err}
		}
		if len(head) == 0 {
			_ = s.close()
			return nil, &Error{Path: path, Err: errEmpty}
		}
		f, err := detect(path, head, complete)
		if err != nil {
			_ = s.close()
			return nil, err
		}
		s.format = f
	}
	if err := checkFormat(path, s.format, k, opt); err != nil {
		_ = s.close()
		if opt.Format == "" {
			var de *Error
			if errors.As(err, &de) {
				de.Err = fmt.Errorf("%w (detected; set the format if this is wrong)", de.Err)
			}
		}
		return nil, err
	}
	return s, nil
}
