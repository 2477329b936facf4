package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// progress shows texts done and throughput on a terminal: a bar over the input's bytes when its size is
// known, else a running count. A nil *progress shows nothing.
type progress struct {
	bar   *progressbar.ProgressBar
	bytes *countingReader // nil when the size is unknown
	start time.Time
}

// newProgress returns nil unless w is a terminal.
func newProgress(w io.Writer, size int64, counted *countingReader) *progress {
	if !isTerminal(w) {
		return nil
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("embedding"),
		progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
	}
	p := &progress{start: time.Now()}
	if size > 0 {
		p.bytes = counted
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionSetPredictTime(true))
	} else {
		size = -1
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("texts"))
	}
	p.bar = progressbar.NewOptions64(size, opts...)
	return p
}

// update reports that done texts are embedded.
func (p *progress) update(done int) {
	if p == nil {
		return
	}
	if p.bytes == nil {
		_ = p.bar.Set(done)
		return
	}
	rate := float64(done) / max(time.Since(p.start).Seconds(), 1e-9)
	p.bar.Describe(fmt.Sprintf("%d texts, %.0f texts/s", done, rate))
	_ = p.bar.Set64(p.bytes.n)
}

// finish removes the progress line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	_ = p.bar.Finish()
	_ = p.bar.Close()
}
