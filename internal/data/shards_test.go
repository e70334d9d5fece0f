package data

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/testfs"
)

func TestOpenShards(t *testing.T) {
	png0, jpg1, webp := pngBytes(t, 5, 4, 0), jpegBytes(t, 8, 8, 1), webpBytes(t)
	longDir := strings.Repeat("deep/", 30) // a >100-byte name needs a PAX header
	padJPG := (512 - len(jpg1)%512) % 512  // tar pads member data to 512-byte blocks
	type want struct{ key, caption string }
	cases := []struct {
		name         string
		shards       map[string][]member // file name -> members; truncated to cut bytes when cut[file] > 0
		cut          map[string]int      // bytes to remove from the end
		pattern      string
		want         []want
		wantImages   [][]byte // the image bytes of each sample
		wantUnpaired int
		problems     []string // substrings of Problems, in order
		wantErr      string
	}{
		{
			name: "every image format with txt and json captions",
			shards: map[string][]member{"s-0.tar": {
				{"dir/", nil},
				{"000.png", png0}, {"000.txt", []byte("a png")},
				{"001.JPG", jpg1}, {"001.json", []byte(`{"caption": "a jpg", "text": "not this"}`)},
				{"002.txt", []byte("txt wins")}, {"002.json", []byte(`{"caption": "json loses"}`)}, {"002.webp", webp},
				{"003.jpeg", jpg1}, {"003.json", []byte(`{"text": "from text", "url": "x"}`)},
				{"004.cls", []byte("7")}, {"004.png", png0}, {"004.txt", []byte("other members ignored")},
				{longDir + "005.png", png0}, {longDir + "005.txt", []byte("long name")},
				{"a.b/006.png", png0}, {"a.b/006.txt", []byte("a dot in the folder is not the extension's")},
				{"007.seg.png", png0}, {"007.txt", []byte("extension seg.png is not an image")},
			}},
			pattern: "s-0.tar",
			want: []want{
				{"s-0.tar: 000", "a png"}, {"s-0.tar: 001", "a jpg"}, {"s-0.tar: 002", "txt wins"},
				{"s-0.tar: 003", "from text"}, {"s-0.tar: 004", "other members ignored"},
				{"s-0.tar: " + longDir + "005", "long name"}, {"s-0.tar: a.b/006", "a dot in the folder is not the extension's"},
			},
			wantImages:   [][]byte{png0, jpg1, webp, jpg1, png0, png0, png0},
			wantUnpaired: 1,
			problems:     []string{"007: caption 007.txt has no image"},
		},
		{
			name: "unpaired members are left out and counted",
			shards: map[string][]member{"s-0.tar": {
				{"000.png", png0}, {"000.txt", []byte("ok")},
				{"001.png", png0}, // no caption
				{"002.txt", []byte("no image")},
				{"003.png", png0}, {"003.json", []byte(`{"url": "x"}`)}, // no caption key
				{"004.png", png0}, {"004.json", []byte(`not json`)},
				{"005.png", png0}, {"005.txt", []byte("\xff\xfe")}, // not UTF-8
				{"006.png", png0}, {"006.jpg", jpg1}, {"006.txt", []byte("two images")},
			}},
			pattern:      "s-0.tar",
			want:         []want{{"s-0.tar: 000", "ok"}, {"s-0.tar: 006", "two images"}},
			wantImages:   [][]byte{png0, png0},
			wantUnpaired: 6,
			problems: []string{"001: image 001.png has no .txt or .json caption", "002: caption 002.txt has no image",
				`003: image 003.png has no usable caption: member 003.json: JSON has no "caption" or "text"`,
				"004: image 004.png has no usable caption: member 004.json: invalid JSON", "005.txt: not UTF-8",
				"006: more than one image"},
		},
		{
			name: "brace pattern over several shards keeps shard order",
			shards: map[string][]member{
				"s-00.tar": {{"a.png", png0}, {"a.txt", []byte("s0 a")}},
				"s-01.tar": {{"a.jpg", jpg1}, {"a.txt", []byte("s1 a")}, {"b.png", png0}, {"b.txt", []byte("s1 b")}},
				"s-02.tar": {{"z.webp", webp}, {"z.txt", []byte("s2 z")}},
			},
			pattern:    "s-{00..02}.tar",
			want:       []want{{"s-00.tar: a", "s0 a"}, {"s-01.tar: a", "s1 a"}, {"s-01.tar: b", "s1 b"}, {"s-02.tar: z", "s2 z"}},
			wantImages: [][]byte{png0, jpg1, png0, webp},
		},
		{
			name: "truncated shard keeps the complete members before the cut",
			shards: map[string][]member{
				"s-0.tar": {{"a.png", png0}, {"a.txt", []byte("kept")}, {"b.txt", []byte("caption of the cut image")}, {"b.jpg", jpg1}},
				"s-1.tar": {{"c.png", png0}, {"c.txt", []byte("other shard")}},
			},
			cut:          map[string]int{"s-0.tar": 1024 + padJPG + 100}, // the end blocks, padding and 100 bytes of b.jpg
			pattern:      "s-{0..1}.tar",
			want:         []want{{"s-0.tar: a", "kept"}, {"s-1.tar: c", "other shard"}},
			wantImages:   [][]byte{png0, png0},
			wantUnpaired: 2,
			problems:     []string{"s-0.tar is truncated: member b.jpg", "b: caption b.txt has no image"},
		},
		{
			name:         "shard cut inside a header",
			shards:       map[string][]member{"s-0.tar": {{"a.png", png0}, {"a.txt", []byte("kept")}, {"b.png", png0}, {"b.txt", []byte("x")}}},
			cut:          map[string]int{"s-0.tar": 1024 + 512 + 300}, // end blocks, b.txt's data block, 300 bytes of its header
			pattern:      "s-0.tar",
			want:         []want{{"s-0.tar: a", "kept"}},
			wantImages:   [][]byte{png0},
			wantUnpaired: 2,
			problems:     []string{"truncated or corrupt after 3 members", "b: image b.png has no .txt or .json caption"},
		},
		{
			name:    "not a tar file",
			shards:  map[string][]member{"s-0.tar": nil},
			pattern: "s-0.tar",
			wantErr: "s-0.tar: not a tar file",
		},
		{
			name:    "missing shard",
			shards:  map[string][]member{"s-0.tar": {{"a.png", png0}, {"a.txt", []byte("x")}}},
			pattern: "s-{0..1}.tar",
			wantErr: "s-1.tar",
		},
		{
			name:    "no pairs at all",
			shards:  map[string][]member{"s-0.tar": {{"a.png", png0}}},
			pattern: "s-0.tar",
			wantErr: "no image-caption pairs in 1 shard(s) (1 members left out)",
		},
		{
			name:    "bad pattern",
			pattern: "s-{0..1.tar",
			wantErr: `unmatched "{"`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, ms := range c.shards {
				b := tarBytes(t, ms)
				if ms == nil {
					b = []byte("this is a text file, not a tar archive, but it is long enough to hold a header block" + strings.Repeat(".", 600))
				}
				b = b[:len(b)-c.cut[name]]
				testfs.WriteFile(t, filepath.Join(dir, name), b)
			}
			ds, err := OpenShards(filepath.Join(dir, c.pattern))
			if wantError(t, err, c.wantErr) {
				return
			}
			var got []want
			for i, s := range ds.Samples {
				got = append(got, want{s.Key, s.Caption})
				if !s.IsTarMember() {
					t.Errorf("%s: not a tar member", s.Key)
				}
				img, err := ds.ReadImage(i)
				if err != nil {
					t.Fatal(err)
				}
				if i < len(c.wantImages) && !bytes.Equal(img, c.wantImages[i]) {
					t.Errorf("%s: ReadImage gives %d bytes, not the member's %d", s.Key, len(img), len(c.wantImages[i]))
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("samples\n got %q\nwant %q", got, c.want)
			}
			if ds.Unpaired != c.wantUnpaired {
				t.Errorf("Unpaired = %d, want %d", ds.Unpaired, c.wantUnpaired)
			}
			if len(ds.Problems) != len(c.problems) {
				t.Errorf("%d problems, want %d: %v", len(ds.Problems), len(c.problems), ds.Problems)
			}
			for i, p := range ds.Problems {
				msg := p.Key + ": " + p.Err.Error()
				if i < len(c.problems) && !strings.Contains(msg, c.problems[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, msg, c.problems[i])
				}
			}
		})
	}
}

func TestReadImageErrors(t *testing.T) {
	dir := t.TempDir()
	shard := filepath.Join(dir, "s.tar")
	testfs.WriteFile(t, shard, tarBytes(t, []member{{"a.png", pngBytes(t, 4, 4, 0)}, {"a.txt", []byte("x")}}))
	ds, err := OpenShards(shard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ds.ReadImage(1); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("ReadImage(1) error %v", err)
	}
	// The shard shrinks after indexing: the read fails and says where.
	if err := os.Truncate(shard, 520); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.ReadImage(0); err == nil || !strings.Contains(err.Error(), "s.tar: reading") {
		t.Errorf("ReadImage of a cut member: error %v", err)
	}
	if err := os.Remove(shard); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.ReadImage(0); err == nil || !strings.Contains(err.Error(), "s.tar") {
		t.Errorf("ReadImage of a removed shard: error %v", err)
	}
}
