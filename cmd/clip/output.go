package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress is a progress bar on stderr when stderr is a terminal, and
// nothing otherwise (logs and pipes stay clean).
type progress struct {
	bar *progressbar.ProgressBar
}

func (a *app) newProgress(total int, what string) *progress {
	if !a.isTerminal(a.stderr) || total <= 0 {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(what),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

// Add advances the bar by one.
func (p *progress) Add() {
	if p.bar != nil {
		_ = p.bar.Add(1)
	}
}

// Clear removes the bar from the line so that a message can be printed.
func (p *progress) Clear() {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
}

// Finish completes and clears the bar.
func (p *progress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// marshalJSON encodes v without escaping <, > and & (texts such as
// "<|endoftext|>" stay readable) and without a trailing newline.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// outputFormat resolves "auto": a table on a terminal, TSV otherwise.
func (a *app) outputFormat(format string) string {
	if format != "auto" {
		return format
	}
	if a.isTerminal(a.stdout) {
		return "table"
	}
	return "tsv"
}
