package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// TableOptions says how to read a CSV/TSV table. The zero value reads
// OpenCLIP's defaults.
type TableOptions struct {
	// Separator between fields; 0 means '\t' for a .tsv file and ','
	// otherwise.
	Separator rune
	// ImageKey and CaptionKey are the header names of the image path and
	// caption columns; "" means "filepath" and "title" (OpenCLIP's
	// --csv-img-key and --csv-caption-key defaults).
	ImageKey, CaptionKey string
}

// Default column names, as OpenCLIP's training script has them.
const (
	DefaultImageKey   = "filepath"
	DefaultCaptionKey = "title"
)

func (o TableOptions) resolve(path string) (TableOptions, error) {
	if o.Separator == 0 {
		o.Separator = ','
		if strings.EqualFold(filepath.Ext(path), ".tsv") {
			o.Separator = '\t'
		}
	}
	if o.Separator == '"' || o.Separator == '\r' || o.Separator == '\n' || !utf8.ValidRune(o.Separator) || o.Separator == utf8.RuneError {
		return o, fmt.Errorf("data: %s: invalid separator %q", path, o.Separator)
	}
	if o.ImageKey == "" {
		o.ImageKey = DefaultImageKey
	}
	if o.CaptionKey == "" {
		o.CaptionKey = DefaultCaptionKey
	}
	return o, nil
}

// ReadTable reads a CSV/TSV table of image paths and captions: a header
// row, then one sample per record. Quoting is RFC 4180 (a quoted field may
// hold the separator, "" for a quote, and line breaks); the text is UTF-8,
// a leading byte-order mark is ignored, CRLF line ends are accepted, blank
// lines are skipped. Relative image paths are taken from the table's
// folder. Images are not opened here: a missing file is a skipped sample
// at load time. An empty caption is kept as "". Errors name the file, the
// line and the column.
func ReadTable(path string, opt TableOptions) (*Dataset, error) {
	opt, err := opt.resolve(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.Comma = opt.Separator
	r.ReuseRecord = true

	base := filepath.Base(path)
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("data: %s: empty table (no header row)", path)
	}
	if err != nil {
		return nil, tableError(path, err)
	}
	header = append([]string(nil), header...)
	imgCol, capCol := column(header, opt.ImageKey), column(header, opt.CaptionKey)
	for _, c := range []struct {
		col       int
		key, what string
	}{{imgCol, opt.ImageKey, "image"}, {capCol, opt.CaptionKey, "caption"}} {
		if c.col < 0 {
			return nil, fmt.Errorf("data: %s line 1: no %s column %q; the header's columns are %s (separator %q)",
				path, c.what, c.key, quoteList(header), opt.Separator)
		}
	}

	dir := filepath.Dir(path)
	ds := &Dataset{Source: path}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if errors.Is(err, csv.ErrFieldCount) {
			return nil, fmt.Errorf("data: %s line %d: %d fields, but the header has %d (%s); quote fields that contain the separator %q",
				path, line, len(rec), len(header), quoteList(header), opt.Separator)
		}
		if err != nil {
			return nil, tableError(path, err)
		}
		img, caption := rec[imgCol], rec[capCol]
		for _, v := range []struct{ key, val string }{{opt.ImageKey, img}, {opt.CaptionKey, caption}} {
			if !utf8.ValidString(v.val) {
				return nil, fmt.Errorf("data: %s line %d, column %q: not UTF-8 text", path, line, v.key)
			}
		}
		if img == "" {
			return nil, fmt.Errorf("data: %s line %d, column %q: empty image path", path, line, opt.ImageKey)
		}
		if !filepath.IsAbs(img) {
			img = filepath.Join(dir, img)
		}
		ds.Samples = append(ds.Samples, Sample{
			Key:     fmt.Sprintf("%s line %d", base, line),
			Caption: caption,
			Path:    img,
		})
	}
	if len(ds.Samples) == 0 {
		return nil, fmt.Errorf("data: %s: no rows after the header", path)
	}
	return ds, nil
}

// column is the index of the first header field equal to key, or -1.
func column(header []string, key string) int {
	for i, h := range header {
		if h == key {
			return i
		}
	}
	return -1
}

func quoteList(fields []string) string {
	q := make([]string, len(fields))
	for i, f := range fields {
		q[i] = fmt.Sprintf("%q", f)
	}
	return strings.Join(q, ", ")
}

// tableError rewords encoding/csv's parse errors as "file line N, column
// C: what".
func tableError(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("data: %s line %d, character %d: %w", path, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("data: %s: %w", path, err)
}
