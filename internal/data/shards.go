package data

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxCaptionBytes bounds a .txt or .json caption member; a bigger one is
// not a caption (and must not be read into memory whole).
const maxCaptionBytes = 1 << 20

// indexWorkers is how many shards are indexed at once: indexing reads only
// headers, so it waits on the disk, not the CPU.
const indexWorkers = 8

// OpenShards indexes the WebDataset tar shards that pattern expands to
// (ExpandBraces): for every shard, the members' headers are read and their
// data skipped, except captions, which are read. An image member (.jpg,
// .jpeg, .png, .webp, any case) is paired with the .txt or .json member of
// the same key (WebDataset's rule: the member's path up to the first dot
// of its file name); .txt wins when both exist, and a .json caption is its
// "caption" string, else its "text" string. Other members are ignored.
// Samples keep shard order, then the order of each key's first member.
//
// Left out and counted in Dataset.Unpaired (with examples in Problems): an
// image without a caption, a caption without an image, an unusable caption,
// a second image for a key, and a member cut off by a truncated or corrupt
// shard, whose complete members before the damage are kept. A missing
// shard, or one that is not a tar file at all, is an error naming it.
func OpenShards(pattern string) (*Dataset, error) {
	paths, err := ExpandBraces(pattern)
	if err != nil {
		return nil, err
	}
	results := make([]*shardIndex, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(indexWorkers, len(paths)) {
		wg.Go(func() {
			for i := range next {
				results[i] = indexShard(paths[i])
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()

	ds := &Dataset{Source: pattern}
	for _, r := range results {
		if r.err != nil {
			return nil, r.err
		}
		ds.Samples = append(ds.Samples, r.samples...)
		for _, p := range r.problems {
			ds.addProblem(p.Key, p.Err, p.force)
		}
	}
	if len(ds.Samples) == 0 {
		return nil, fmt.Errorf("data: %s: no image-caption pairs in %d shard(s) (%d members left out)", pattern, len(paths), ds.Unpaired)
	}
	return ds, nil
}

// shardIndex is what indexing one shard found.
type shardIndex struct {
	samples  []Sample
	problems []problem
	err      error
}

type problem struct {
	SkippedSample
	force bool // always listed (a damaged shard), not only among the first few
}

// keyEntry gathers the members of one WebDataset key.
type keyEntry struct {
	key                 string
	imgOff, imgSize     int64
	hasImage            bool
	txt, json           string
	hasTxt, hasJSON     bool
	captionErr          error
	extraImages         int
	firstMember, member string // names, for messages
}

// imageExts are the extensions OpenCLIP's WebDataset pipeline reads as
// images.
var imageExts = map[string]bool{"jpg": true, "jpeg": true, "png": true, "webp": true}

// splitKey splits a member name into WebDataset's key and extension: the
// extension starts at the first dot of the file name.
func splitKey(name string) (key, ext string) {
	dir, file := path.Split(name)
	if i := strings.IndexByte(file, '.'); i > 0 {
		return dir + file[:i], strings.ToLower(file[i+1:])
	}
	return name, ""
}

func indexShard(shard string) *shardIndex {
	out := &shardIndex{}
	f, err := os.Open(shard)
	if err != nil {
		out.err = fmt.Errorf("data: shard %w", err)
		return out
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		out.err = fmt.Errorf("data: shard %w", err)
		return out
	}
	size := st.Size()
	base := filepath.Base(shard)
	keyName := func(k string) string { return base + ": " + k }

	entries := map[string]*keyEntry{}
	var order []*keyEntry
	tr := tar.NewReader(f)
	members := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if members == 0 {
				out.err = fmt.Errorf("data: shard %s: not a tar file: %w", shard, err)
				return out
			}
			out.problems = append(out.problems, problem{SkippedSample{Key: base, Err: fmt.Errorf("shard %s: truncated or corrupt after %d members; the complete members before it are used: %w", shard, members, err)}, true})
			break
		}
		members++
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			out.err = fmt.Errorf("data: shard %s: %w", shard, err)
			return out
		}
		if off+hdr.Size > size {
			// The member's data runs past the end of the file: the
			// shard was cut off here. Count the member as a problem.
			out.problems = append(out.problems, problem{SkippedSample{Key: keyName(hdr.Name), Err: fmt.Errorf("shard %s is truncated: member %s needs %d bytes at offset %d, the file has %d; the complete members before it are used", shard, hdr.Name, hdr.Size, off, size)}, true})
			break
		}
		key, ext := splitKey(hdr.Name)
		isImage := imageExts[ext]
		if !isImage && ext != "txt" && ext != "json" {
			continue
		}
		e := entries[key]
		if e == nil {
			e = &keyEntry{key: key, firstMember: hdr.Name}
			entries[key] = e
			order = append(order, e)
		}
		switch {
		case isImage:
			if e.hasImage {
				e.extraImages++
				continue
			}
			e.hasImage, e.imgOff, e.imgSize, e.member = true, off, hdr.Size, hdr.Name
		case ext == "txt" && e.hasTxt, ext == "json" && e.hasJSON:
			continue // a repeated caption member: the first one counts, as for images
		default:
			text, err := readCaption(tr, hdr)
			if err != nil {
				e.captionErr = fmt.Errorf("member %s: %w", hdr.Name, err)
				continue
			}
			if ext == "txt" {
				e.txt, e.hasTxt = text, true
			} else {
				c, err := jsonCaption(text)
				if err != nil {
					e.captionErr = fmt.Errorf("member %s: %w", hdr.Name, err)
					continue
				}
				e.json, e.hasJSON = c, true
			}
		}
	}

	for _, e := range order {
		k := keyName(e.key)
		for range e.extraImages {
			out.problems = append(out.problems, problem{SkippedSample: SkippedSample{Key: k, Err: fmt.Errorf("more than one image for key %q; using %s", e.key, e.member)}})
		}
		switch {
		case !e.hasImage:
			out.problems = append(out.problems, problem{SkippedSample: SkippedSample{Key: k, Err: fmt.Errorf("caption %s has no image (.jpg, .jpeg, .png, .webp) with its key", e.firstMember)}})
		case !e.hasTxt && !e.hasJSON:
			err := fmt.Errorf("image %s has no .txt or .json caption", e.member)
			if e.captionErr != nil {
				err = fmt.Errorf("image %s has no usable caption: %w", e.member, e.captionErr)
			}
			out.problems = append(out.problems, problem{SkippedSample: SkippedSample{Key: k, Err: err}})
		default:
			caption := e.json
			if e.hasTxt {
				caption = e.txt
			}
			out.samples = append(out.samples, Sample{Key: k, Caption: caption, Path: shard, Offset: e.imgOff, Size: e.imgSize})
		}
	}
	return out
}

// readCaption reads a caption member, which must be UTF-8 and at most
// maxCaptionBytes.
func readCaption(tr *tar.Reader, hdr *tar.Header) (string, error) {
	if hdr.Size > maxCaptionBytes {
		return "", fmt.Errorf("%d bytes is too long for a caption (limit %d)", hdr.Size, maxCaptionBytes)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", errors.New("not UTF-8 text")
	}
	return string(b), nil
}

// jsonCaption is the "caption" string of a JSON object, else its "text"
// string.
func jsonCaption(text string) (string, error) {
	var obj map[string]any
	if err := json.Unmarshal([]byte(text), &obj); err != nil {
		return "", fmt.Errorf("invalid JSON: %w", err)
	}
	for _, k := range []string{"caption", "text"} {
		if s, ok := obj[k].(string); ok {
			return s, nil
		}
	}
	return "", errors.New(`JSON has no "caption" or "text" string`)
}
