package dataset

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Usual column (or key) names, most preferred first, matched without regard to case.
var (
	textNames     = []string{"text", "sentence", "utterance", "query", "question", "content", "review", "document", "input"}
	labelNames    = []string{"label_text", "label_name", "label", "category", "intent", "class", "target", "topic", "sentiment"}
	sentence1Name = []string{"sentence1", "sentence_1", "sentence_a", "sentence_A", "text1", "text_1", "text_a", "s1", "sent1", "question1", "premise"}
	sentence2Name = []string{"sentence2", "sentence_2", "sentence_b", "sentence_B", "text2", "text_2", "text_b", "s2", "sent2", "question2", "hypothesis"}
	scoreNames    = []string{"score", "similarity_score", "similarity", "relatedness_score", "label", "is_duplicate"}
	anchorNames   = []string{"anchor", "query", "sentence", "text"}
	positiveNames = []string{"positive", "pos", "positive_text", "entailment"}
	negativeNames = []string{"negative", "neg", "negative_text", "contradiction"}
)

// role is one column a reader needs: named explicitly, or found among usual names.
type role struct {
	what     string   // for messages: "text", "label", "score", ...
	explicit string   // the name the caller gave, or ""
	auto     []string // usual names, in order of preference
	option   string   // the Options field that names it, for messages
	optional bool     // a missing column is not an error (its value is then "")
}

// exampleRoles are the columns of a labelled-text table.
func exampleRoles(opt Options) []role {
	return []role{
		{what: "text", explicit: strings.TrimSpace(opt.TextCol), auto: textNames, option: "TextCol"},
		{what: "label", explicit: strings.TrimSpace(opt.LabelCol), auto: labelNames, option: "LabelCol"},
	}
}

// pairRoles are the columns of a pair table.
func pairRoles(name string, opt Options) ([]role, error) {
	a, b := "", ""
	if s := strings.TrimSpace(opt.TextCol); s != "" {
		parts := strings.Split(s, ",")
		if len(parts) != 2 {
			return nil, errorf(name, 0, "TextCol %q: pairs need two column names separated by a comma", opt.TextCol)
		}
		a, b = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	}
	return []role{
		{what: "first sentence", explicit: a, auto: sentence1Name, option: "TextCol"},
		{what: "second sentence", explicit: b, auto: sentence2Name, option: "TextCol"},
		{what: "score", explicit: strings.TrimSpace(opt.LabelCol), auto: scoreNames, option: "LabelCol"},
	}, nil
}

// tripletRoles are the columns of a triplet table.
func tripletRoles(name string, opt Options) ([]role, error) {
	var cols [3]string
	if s := strings.TrimSpace(opt.TextCol); s != "" {
		parts := strings.Split(s, ",")
		if len(parts) != 3 {
			return nil, errorf(name, 0, "TextCol %q: triplets need three column names separated by commas", opt.TextCol)
		}
		for i := range parts {
			cols[i] = strings.TrimSpace(parts[i])
		}
	}
	if opt.LabelCol != "" {
		return nil, errorf(name, 0, "LabelCol %q: triplets have no label column", opt.LabelCol)
	}
	return []role{
		{what: "anchor", explicit: cols[0], auto: anchorNames, option: "TextCol"},
		{what: "positive", explicit: cols[1], auto: positiveNames, option: "TextCol"},
		{what: "negative", explicit: cols[2], auto: negativeNames, option: "TextCol"},
	}, nil
}

// resolve finds the column of keys that plays each role. It returns the index into keys, or -1 for an
// optional role that is absent. noHeader makes the defaults the positions 0, 1, 2...
func resolve(keys []string, roles []role, noHeader bool) ([]int, error) {
	idx := make([]int, len(roles))
	used := make(map[int]bool)
	for i, r := range roles {
		idx[i] = -1
		if noHeader && r.explicit == "" {
			r.explicit = strconv.Itoa(i)
		}
		if r.explicit != "" {
			j := findKey(keys, r.explicit, used)
			if j < 0 {
				if r.optional {
					continue
				}
				return nil, fmt.Errorf("unknown column %q for the %s (%s); columns: %s", r.explicit, r.what, r.option, listKeys(keys))
			}
			idx[i] = j
			used[j] = true
			continue
		}
		for _, cand := range r.auto {
			if j := findKey(keys, cand, used); j >= 0 {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 {
			if r.optional {
				continue
			}
			return nil, fmt.Errorf("no %s column (none of %s); columns: %s; name it with %s", r.what, strings.Join(r.auto, ", "), listKeys(keys), r.option)
		}
		used[idx[i]] = true
	}
	return idx, nil
}

// findKey returns the index of name in keys, exact match first, then the only match without regard
// to case; keys already used are skipped.
func findKey(keys []string, name string, used map[int]bool) int {
	for j, k := range keys {
		if k == name && !used[j] {
			return j
		}
	}
	found := -1
	for j, k := range keys {
		if strings.EqualFold(k, name) && !used[j] {
			if found >= 0 {
				return -1
			}
			found = j
		}
	}
	return found
}

// listKeys formats column names for a message.
func listKeys(keys []string) string {
	if len(keys) == 0 {
		return "(none)"
	}
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	return strings.Join(q, ", ")
}

// rowFunc receives one record's values (one per role, "" for an absent optional role) and its line,
// and the resolved column names for messages.
type rowFunc func(line int, vals, cols []string) error

// readTable reads a jsonl, json, csv or tsv table and calls fn for each record.
func readTable(r io.Reader, name, format string, opt Options, roles []role, fn rowFunc) error {
	br, err := textReader(r, name, opt.Encoding)
	if err != nil {
		return err
	}
	switch format {
	case "jsonl":
		return readJSONL(&lineReader{br: br, name: name}, name, roles, fn)
	case "json":
		data, err := io.ReadAll(br)
		if err != nil {
			return &Error{Path: name, Err: err}
		}
		return readJSONArray(data, name, roles, fn)
	case "csv":
		return readCSV(br, name, opt.NoHeader, roles, fn)
	case "tsv":
		return readTSV(&lineReader{br: br, name: name}, name, opt.NoHeader, roles, fn)
	}
	return errorf(name, 0, "format %q is not a table", format)
}

// objectKeys returns the keys of a JSON object, sorted.
func objectKeys(obj map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jsonTable turns JSON objects into rows: the first object fixes which key plays each role.
type jsonTable struct {
	name  string
	roles []role
	names []string // resolved key per role; "" for an absent optional role
	fn    rowFunc
	vals  []string
}

// add handles the object in raw found at line.
func (t *jsonTable) add(line int, raw []byte) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return errorf(t.name, line, "want a JSON object, got %s", jsonKind(raw))
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return &Error{Path: t.name, Line: line, Err: fmt.Errorf("malformed JSON: %w", err)}
	}
	if t.names == nil {
		keys := objectKeys(obj)
		idx, err := resolve(keys, t.roles, false)
		if err != nil {
			return &Error{Path: t.name, Line: line, Err: err}
		}
		t.names = make([]string, len(idx))
		for i, j := range idx {
			if j >= 0 {
				t.names[i] = keys[j]
			}
		}
		t.vals = make([]string, len(idx))
	}
	for i, k := range t.names {
		t.vals[i] = ""
		if k == "" {
			continue
		}
		v, ok := obj[k]
		if !ok {
			return errorf(t.name, line, "missing field %q (the %s); fields: %s", k, t.roles[i].what, listKeys(objectKeys(obj)))
		}
		s, err := jsonScalar(v)
		if err != nil {
			return errorf(t.name, line, "field %q: %v", k, err)
		}
		t.vals[i] = s
	}
	return t.fn(line, t.vals, t.names)
}

// jsonScalar returns a JSON string's value, or a number's or boolean's literal text.
func jsonScalar(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", errors.New("no value")
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	case '[', '{', 'n':
		return "", fmt.Errorf("is %s, want a string or a number", jsonKind(raw))
	}
	return string(raw), nil
}

// jsonKind names the kind of JSON value raw starts.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
		return "a number"
	}
	return fmt.Sprintf("%q", clip(string(raw)))
}

// readJSONL reads one JSON object a line.
func readJSONL(lr *lineReader, name string, roles []role, fn rowFunc) error {
	t := &jsonTable{name: name, roles: roles, fn: fn}
	n := 0
	for line, err := range nonBlankLines(lr.nextUTF8) {
		if err != nil {
			return err
		}
		if err := t.add(lr.n, line); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errorf(name, 0, "no records (blank lines only)")
	}
	return nil
}

// lineCounter maps byte offsets of data, visited in increasing order, to 1-based line numbers.
type lineCounter struct {
	data []byte
	pos  int
	line int
}

// at returns the line of byte offset off.
func (c *lineCounter) at(off int) int {
	if c.line == 0 {
		c.line = 1
	}
	if off > len(c.data) {
		off = len(c.data)
	}
	if off < c.pos {
		c.pos, c.line = 0, 1
	}
	c.line += bytes.Count(c.data[c.pos:off], []byte{'\n'})
	c.pos = off
	return c.line
}

// skipSep returns the offset of the next byte of data at or after off that is not JSON white space or
// a comma.
func skipSep(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// jsonError turns a decoding error into an *Error with the line it happened on.
func jsonError(name string, c *lineCounter, start int, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Path: name, Line: c.at(int(se.Offset)), Err: fmt.Errorf("malformed JSON: %w", err)}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Path: name, Line: c.at(len(c.data)), Err: errors.New("malformed JSON: unexpected end of file")}
	}
	return &Error{Path: name, Line: c.at(start), Err: fmt.Errorf("malformed JSON: %w", err)}
}

// checkUTF8Data reports the line of the first invalid UTF-8 in data.
func checkUTF8Data(name string, data []byte) error {
	c := &lineCounter{data: data}
	start := 0
	for start < len(data) {
		end := bytes.IndexByte(data[start:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += start
		}
		if err := checkUTF8(data[start:end]); err != nil {
			return &Error{Path: name, Line: c.at(start), Err: err}
		}
		start = end + 1
	}
	return nil
}

// readJSONArray reads a JSON array of objects.
func readJSONArray(data []byte, name string, roles []role, fn rowFunc) error {
	if err := checkUTF8Data(name, data); err != nil {
		return err
	}
	c := &lineCounter{data: data}
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return jsonError(name, c, 0, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errorf(name, c.at(skipSep(data, 0)), "want a JSON array of objects")
	}
	t := &jsonTable{name: name, roles: roles, fn: fn}
	n := 0
	for dec.More() {
		start := skipSep(data, int(dec.InputOffset()))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonError(name, c, start, err)
		}
		if err := t.add(c.at(start), raw); err != nil {
			return err
		}
		n++
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(name, c, int(dec.InputOffset()), err)
	}
	if dec.More() {
		return errorf(name, c.at(skipSep(data, int(dec.InputOffset()))), "malformed JSON: data after the array")
	}
	if n == 0 {
		return errorf(name, 0, "no records (empty array)")
	}
	return nil
}

// readCSV reads a comma-separated table (RFC 4180 quoting; quoted fields may hold newlines).
func readCSV(r io.Reader, name string, noHeader bool, roles []role, fn rowFunc) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &Error{Path: name, Line: pe.Line, Err: fmt.Errorf("column %d: %w", pe.Column, pe.Err)}
		}
		return &Error{Path: name, Err: err}
	}
	first, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errorf(name, 0, "no records (blank lines only)")
	}
	if err != nil {
		return csvErr(err)
	}
	firstLine, _ := cr.FieldPos(0)
	t := &rowTable{name: name, roles: roles, fn: fn}
	if err := t.header(firstLine, first, noHeader); err != nil {
		return err
	}
	if noHeader {
		if err := t.row(firstLine, first, csvLines(cr, len(first))); err != nil {
			return err
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if err := t.row(line, rec, csvLines(cr, len(rec))); err != nil {
			return err
		}
	}
	return t.finish()
}

// csvLines returns the line each field of the record last read starts on.
func csvLines(cr *csv.Reader, n int) []int {
	lines := make([]int, n)
	for i := range lines {
		lines[i], _ = cr.FieldPos(i)
	}
	return lines
}

// readTSV reads a tab-separated table; fields are split on tabs only, quotes are literal.
func readTSV(lr *lineReader, name string, noHeader bool, roles []role, fn rowFunc) error {
	t := &rowTable{name: name, roles: roles, fn: fn}
	started := false
	for line, err := range nonBlankLines(lr.nextUTF8) {
		if err != nil {
			return err
		}
		fields := strings.Split(string(line), "\t")
		if !started {
			started = true
			if err := t.header(lr.n, fields, noHeader); err != nil {
				return err
			}
			if !noHeader {
				continue
			}
		}
		if err := t.row(lr.n, fields, nil); err != nil {
			return err
		}
	}
	if !started {
		return errorf(name, 0, "no records (blank lines only)")
	}
	return t.finish()
}

// rowTable turns CSV/TSV rows into values per role.
type rowTable struct {
	name  string
	roles []role
	fn    rowFunc
	keys  []string
	idx   []int
	names []string
	need  int // columns a row must have
	rows  int
	vals  []string
}

// header resolves the roles against the header fields (or, with noHeader, column numbers).
func (t *rowTable) header(line int, fields []string, noHeader bool) error {
	t.keys = make([]string, len(fields))
	for i, f := range fields {
		if noHeader {
			t.keys[i] = strconv.Itoa(i)
		} else {
			t.keys[i] = strings.TrimSpace(f)
		}
	}
	if !noHeader {
		if err := checkUTF8([]byte(strings.Join(fields, "\t"))); err != nil {
			return &Error{Path: t.name, Line: line, Err: err}
		}
	}
	idx, err := resolve(t.keys, t.roles, noHeader)
	if err != nil {
		if noHeader {
			return &Error{Path: t.name, Line: line, Err: fmt.Errorf("%w (no header: columns are numbered from 0)", err)}
		}
		return &Error{Path: t.name, Line: line, Err: fmt.Errorf("header: %w", err)}
	}
	t.idx = idx
	t.names = make([]string, len(idx))
	for i, j := range idx {
		if j >= 0 {
			t.names[i] = t.keys[j]
			t.need = max(t.need, j+1)
		}
	}
	t.vals = make([]string, len(idx))
	return nil
}

// row handles one data row found at line; fieldLines, when known, gives each field's own line.
func (t *rowTable) row(line int, fields []string, fieldLines []int) error {
	if len(fields) < t.need {
		return errorf(t.name, line, "%d column(s), need at least %d (up to column %q)", len(fields), t.need, t.keys[t.need-1])
	}
	for i, j := range t.idx {
		t.vals[i] = ""
		if j < 0 {
			continue
		}
		if err := checkUTF8([]byte(fields[j])); err != nil {
			at := line
			if fieldLines != nil {
				at = fieldLines[j]
			}
			return &Error{Path: t.name, Line: at, Err: fmt.Errorf("column %q: %w", t.keys[j], err)}
		}
		t.vals[i] = fields[j]
	}
	t.rows++
	return t.fn(line, t.vals, t.names)
}

// finish reports a table without rows.
func (t *rowTable) finish() error {
	if t.rows == 0 {
		return errorf(t.name, 0, "no records (header only)")
	}
	return nil
}

// parseScore reads a pair's score: a finite number, or true/false for 1/0.
func parseScore(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	case "":
		return 0, errors.New("empty score")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f || f > 1e300 || f < -1e300 {
		return 0, fmt.Errorf("score %q is not a finite number", clip(s))
	}
	return f, nil
}

// exampleRow makes the rowFunc that appends labelled texts to out.
func exampleRow(name string, out *[]Example) rowFunc {
	return func(line int, vals, cols []string) error {
		text, label := strings.TrimSpace(vals[0]), strings.TrimSpace(vals[1])
		if text == "" {
			return errorf(name, line, "empty text (column %q)", cols[0])
		}
		if label == "" {
			return errorf(name, line, "empty label (column %q)", cols[1])
		}
		*out = append(*out, Example{Text: text, Label: label})
		return nil
	}
}

// pairRow makes the rowFunc that appends scored pairs to out; keep, when set, filters rows by the
// value of a fourth role.
func pairRow(name string, out *[]Pair, lo, hi float64, keep func(string) bool) rowFunc {
	return func(line int, vals, cols []string) error {
		if keep != nil && !keep(vals[3]) {
			return nil
		}
		a, b := strings.TrimSpace(vals[0]), strings.TrimSpace(vals[1])
		if a == "" {
			return errorf(name, line, "empty first sentence (column %q)", cols[0])
		}
		if b == "" {
			return errorf(name, line, "empty second sentence (column %q)", cols[1])
		}
		s, err := parseScore(vals[2])
		if err != nil {
			return errorf(name, line, "column %q: %v", cols[2], err)
		}
		if s < lo || s > hi {
			return errorf(name, line, "column %q: score %g outside [%g, %g]", cols[2], s, lo, hi)
		}
		*out = append(*out, Pair{A: a, B: b, Score: s})
		return nil
	}
}

// tripletRow makes the rowFunc that appends triplets to out.
func tripletRow(name string, out *[]Triplet) rowFunc {
	return func(line int, vals, cols []string) error {
		var t [3]string
		for i := range t {
			t[i] = strings.TrimSpace(vals[i])
			if t[i] == "" {
				return errorf(name, line, "empty %s (column %q)", [3]string{"anchor", "positive", "negative"}[i], cols[i])
			}
		}
		*out = append(*out, Triplet{Anchor: t[0], Positive: t[1], Negative: t[2]})
		return nil
	}
}
