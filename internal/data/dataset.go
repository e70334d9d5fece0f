package data

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Sample is one image-caption pair.
type Sample struct {
	// Key names the sample in messages: "data.csv line 12" for a table
	// row, "shard-0003.tar: 000123" for a tar member.
	Key     string
	Caption string
	// Path is the image file, or the tar shard holding the image.
	Path string
	// Offset and Size locate the image's bytes inside the tar shard
	// (Size > 0 means a tar member); both are 0 for a plain file.
	Offset, Size int64
}

// IsTarMember reports whether the image is a member of a tar shard.
func (s *Sample) IsTarMember() bool { return s.Size > 0 }

// Dataset is an indexed list of samples; images are read on demand, so a
// Dataset holds captions and locations only.
type Dataset struct {
	// Source is what the dataset was opened from (a table path or a shard
	// pattern).
	Source  string
	Samples []Sample
	// Unpaired counts what indexing left out: tar members without a
	// partner (an image without a caption, a caption without an image, an
	// unusable caption) and members cut off by a truncated shard.
	Unpaired int
	// Problems describes the first maxProblems things left out, and every
	// truncated or corrupt shard, for the run's log.
	Problems []SkippedSample
}

// maxProblems bounds Dataset.Problems: the count is what matters at scale,
// a few examples are enough to see why.
const maxProblems = 100

// Len is the number of samples.
func (d *Dataset) Len() int { return len(d.Samples) }

// ReadImage returns the raw encoded bytes (PNG, JPEG, ...) of sample i. It
// is safe for concurrent use.
func (d *Dataset) ReadImage(i int) ([]byte, error) {
	if i < 0 || i >= len(d.Samples) {
		return nil, fmt.Errorf("data: %s: sample %d out of range [0, %d)", d.Source, i, len(d.Samples))
	}
	s := &d.Samples[i]
	if !s.IsTarMember() {
		return os.ReadFile(s.Path)
	}
	f, err := os.Open(s.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, s.Size)
	if _, err := f.ReadAt(buf, s.Offset); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%s: reading %d bytes at offset %d: %w", s.Path, s.Size, s.Offset, err)
	}
	return buf, nil
}

// addProblem counts one left-out item and keeps its description if there
// is room (always, when force is set).
func (d *Dataset) addProblem(key string, err error, force bool) {
	d.Unpaired++
	if force || len(d.Problems) < maxProblems {
		d.Problems = append(d.Problems, SkippedSample{Key: key, Err: err})
	}
}

// Open opens a dataset from spec: a .csv or .tsv table (ReadTable with
// opt), or a .tar shard or brace pattern of shards (OpenShards; opt is not
// used).
func Open(spec string, opt TableOptions) (*Dataset, error) {
	lower := strings.ToLower(spec)
	switch {
	case strings.HasSuffix(lower, ".csv"), strings.HasSuffix(lower, ".tsv"):
		return ReadTable(spec, opt)
	case strings.HasSuffix(lower, ".tar"), strings.ContainsAny(spec, "{}"):
		return OpenShards(spec)
	}
	return nil, fmt.Errorf("data: %q: unknown data format: want a .csv or .tsv table, a .tar shard or a brace pattern of shards such as shards/{00000..00099}.tar", spec)
}
