package dataset

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// textCall is one call ReadTexts made.
type textCall struct {
	line int
	id   any
	text string
}

// collect runs ReadTexts and records its calls.
func collect(r io.Reader, jsonl bool) ([]textCall, error) {
	var calls []textCall
	err := ReadTexts(r, "in.txt", jsonl, func(line int, id any, text string) error {
		calls = append(calls, textCall{line, id, text})
		return nil
	})
	return calls, err
}

func TestReadTextsPlain(t *testing.T) {
	calls, err := collect(strings.NewReader("\ufefffirst\n\n  second  \r\n\t\nthird"), false)
	require.NoError(t, err)
	assert.Equal(t, []textCall{{1, 0, "first"}, {3, 2, "second"}, {5, 4, "third"}}, calls)
}

func TestReadTextsJSONL(t *testing.T) {
	in := strings.Join([]string{
		`{"text": "a", "id": "q1"}`,
		`{"id": 12345678901234567890, "text": " b "}`,
		``,
		`{"text": "c"}`,
		`{"text": "d", "id": null}`,
		`{"text": "e", "id": [1, "x"], "other": {"k": 1}}`,
		`{"text": "f", "id": {"doc": 7}}`,
		`{"text": "g", "id": false}`,
	}, "\r\n")
	calls, err := collect(strings.NewReader(in), true)
	require.NoError(t, err)
	assert.Equal(t, []textCall{
		{1, "q1", "a"},
		{2, json.Number("12345678901234567890"), "b"},
		{4, 3, "c"},
		{5, nil, "d"},
		{6, []any{json.Number("1"), "x"}, "e"},
		{7, map[string]any{"doc": json.Number("7")}, "f"},
		{8, false, "g"},
	}, calls)
}

func TestReadTextsLongLines(t *testing.T) {
	long := strings.Repeat("word ", 300_000) + "end" // 1.5 MB
	calls, err := collect(strings.NewReader("short\n"+long+"\nafter\n"), false)
	require.NoError(t, err)
	require.Len(t, calls, 3)
	assert.Equal(t, len(long), len(calls[1].text))
	assert.True(t, strings.HasSuffix(calls[1].text, "word end"))
	assert.Equal(t, textCall{3, 2, "after"}, calls[2])

	calls, err = collect(strings.NewReader(`{"id":"big","text":"`+long+`"}`+"\n"+`{"text":"x"}`), true)
	require.NoError(t, err)
	require.Len(t, calls, 2)
	assert.Equal(t, "big", calls[0].id)
	assert.Equal(t, len(long), len(calls[0].text))
	assert.Equal(t, textCall{2, 1, "x"}, calls[1])
}

// lineSource yields n copies of a line without holding them all, to check streaming.
type lineSource struct {
	line []byte
	n    int
	off  int
}

func (s *lineSource) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, s.line[s.off:])
	s.off += k
	if s.off == len(s.line) {
		s.off = 0
		s.n--
	}
	return k, nil
}

func TestReadTextsStreams(t *testing.T) {
	// 200,000 lines: fn sees each as it is read, and the count and last line number match.
	n, last := 0, 0
	err := ReadTexts(&lineSource{line: []byte("{\"text\":\"hello\"}\n"), n: 200_000}, "gen", true, func(line int, id any, text string) error {
		n++
		last = line
		if text != "hello" || id != line-1 {
			return errors.New("unexpected record")
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 200_000, n)
	assert.Equal(t, 200_000, last)
}

func TestReadTextsErrors(t *testing.T) {
	stop := errors.New("disk full")
	cases := []struct {
		name, in string
		jsonl    bool
		fn       func(int, any, string) error
		want     string
	}{
		{"empty", "", false, nil, "read in.txt: empty file"},
		{"blank only", "\n \n", false, nil, "read in.txt: no texts (blank lines only)"},
		{"invalid UTF-8 plain", "ok\nba\xffd\n", false, nil, "read in.txt line 2: invalid UTF-8 (byte 0xFF at column 3)"},
		{"invalid UTF-8 jsonl", "{\"text\":\"ok\"}\n{\"text\":\"\xc0\"}\n", true, nil, "read in.txt line 2: invalid UTF-8"},
		{"UTF-16", "\xfe\xff\x00a", false, nil, "read in.txt: UTF-16 text"},
		{"malformed", "{\"text\":\"a\"}\n{\"text\":\"a\"\n", true, nil, "read in.txt line 2: malformed JSON"},
		{"not an object", "\"just a string\"\n", true, nil, "read in.txt line 1: want a JSON object, got a string"},
		{"missing text", "{\"text\":\"a\"}\n{\"body\":\"a\",\"id\":1}\n", true, nil, `read in.txt line 2: missing field "text"; fields: "body", "id"`},
		{"text not a string", "{\"text\":5}\n", true, nil, `read in.txt line 1: field "text" is a number, want a string`},
		{"empty text", "{\"text\":\" \"}\n", true, nil, "read in.txt line 1: empty text"},
		{"fn error", "a\nb\n", false, func(line int, _ any, _ string) error {
			if line == 2 {
				return stop
			}
			return nil
		}, "read in.txt line 2: disk full"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fn := tc.fn
			if fn == nil {
				fn = func(int, any, string) error { return nil }
			}
			err := ReadTexts(strings.NewReader(tc.in), "in.txt", tc.jsonl, fn)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tc.want), "got %q, want prefix %q", err.Error(), tc.want)
			if tc.name == "fn error" {
				assert.True(t, errors.Is(err, stop))
			}
		})
	}
}
