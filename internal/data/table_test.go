package data

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/testfs"
)

func TestReadTable(t *testing.T) {
	type row struct{ key, caption, path string }
	cases := []struct {
		name    string
		file    string // file name inside the test's folder
		content string
		opt     TableOptions
		want    []row  // path relative to the folder unless absolute
		wantErr string // substring; every part separated by "|" must appear
	}{
		{
			name: "csv quoting: separator, quotes and a line break inside quotes",
			file: "data.csv",
			content: "filepath,title\n" +
				"a.png,plain caption\n" +
				"b.png,\"a cat, a dog\"\n" +
				"c.png,\"she said \"\"hi\"\"\"\n" +
				"d.png,\"two\nlines\"\n" +
				"e.png,after the break\n",
			want: []row{
				{"data.csv line 2", "plain caption", "a.png"},
				{"data.csv line 3", "a cat, a dog", "b.png"},
				{"data.csv line 4", `she said "hi"`, "c.png"},
				{"data.csv line 5", "two\nlines", "d.png"},
				{"data.csv line 7", "after the break", "e.png"},
			},
		},
		{
			name:    "tsv defaults: tab separator, filepath/title, quotes allowed",
			file:    "data.tsv",
			content: "filepath\ttitle\nimg/0.png\ta, b and c\nimg/1.png\t\"x \"\"y\"\"\"\n",
			want: []row{
				{"data.tsv line 2", "a, b and c", "img/0.png"},
				{"data.tsv line 3", `x "y"`, "img/1.png"},
			},
		},
		{
			name:    "an unquoted separator inside a field is a field-count error",
			file:    "list.txt.csv",
			content: "id;caption;image\n7;hello; world;x.jpg\n",
			opt:     TableOptions{Separator: ';', ImageKey: "image", CaptionKey: "caption"},
			wantErr: "list.txt.csv line 2|4 fields|header has 3",
		},
		{
			name:    "custom keys and separator",
			file:    "list.csv",
			content: "id|caption|image\n7|hello, world|x.jpg\n8||y.jpg\n",
			opt:     TableOptions{Separator: '|', ImageKey: "image", CaptionKey: "caption"},
			want: []row{
				{"list.csv line 2", "hello, world", "x.jpg"},
				{"list.csv line 3", "", "y.jpg"},
			},
		},
		{
			name:    "BOM, CRLF, blank line, non-ASCII, absolute path",
			file:    "bom.csv",
			content: "\uFEFFfilepath,title\r\nsub/a.png,café\r\n\r\n/abs/b.png,\"x\r\ny\"\r\n",
			want: []row{
				{"bom.csv line 2", "café", "sub/a.png"},
				{"bom.csv line 4", "x\ny", "/abs/b.png"},
			},
		},
		{
			name:    "missing column lists the header",
			file:    "data.csv",
			content: "filepath,caption\na.png,x\n",
			wantErr: `data.csv line 1|no caption column "title"|"filepath", "caption"`,
		},
		{
			name:    "a tsv read as csv misses the columns",
			file:    "data.csv",
			content: "filepath\ttitle\na.png\tx\n",
			wantErr: `no image column "filepath"|"filepath\ttitle"`,
		},
		{
			name:    "wrong field count names the line",
			file:    "data.csv",
			content: "filepath,title\na.png,x\nb.png,x,y\n",
			wantErr: "data.csv line 3|3 fields|header has 2",
		},
		{
			name:    "bare quote names the line",
			file:    "data.csv",
			content: "filepath,title\na.png,x\nb.png,a \"b\" c\n",
			wantErr: "data.csv line 3|bare \"",
		},
		{
			name:    "unterminated quote",
			file:    "data.csv",
			content: "filepath,title\na.png,\"x\n",
			wantErr: "data.csv line",
		},
		{
			name:    "empty image path",
			file:    "data.csv",
			content: "filepath,title\n,x\n",
			wantErr: `data.csv line 2, column "filepath"|empty image path`,
		},
		{
			name:    "not UTF-8",
			file:    "data.csv",
			content: "filepath,title\na.png,\xff\xfe\n",
			wantErr: `data.csv line 2, column "title"|not UTF-8`,
		},
		{name: "empty file", file: "data.csv", content: "", wantErr: "empty table"},
		{name: "header only", file: "data.csv", content: "filepath,title\n", wantErr: "no rows"},
		{
			name:    "invalid separator",
			file:    "data.csv",
			content: "filepath,title\n",
			opt:     TableOptions{Separator: '"'},
			wantErr: "invalid separator",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, c.file)
			testfs.WriteFile(t, path, []byte(c.content))
			ds, err := ReadTable(path, c.opt)
			if c.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, want one containing %q", c.wantErr)
				}
				for _, part := range strings.Split(c.wantErr, "|") {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q does not contain %q", err, part)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, s := range ds.Samples {
				if s.Size != 0 || s.Offset != 0 {
					t.Errorf("%s: table sample has a tar location", s.Key)
				}
				got = append(got, row{s.Key, s.Caption, s.Path})
			}
			want := make([]row, len(c.want))
			for i, r := range c.want {
				if !filepath.IsAbs(r.path) {
					r.path = filepath.Join(dir, r.path)
				}
				want[i] = r
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("samples\n got %q\nwant %q", got, want)
			}
			if ds.Source != path || ds.Len() != len(want) {
				t.Errorf("Source %q Len %d, want %q %d", ds.Source, ds.Len(), path, len(want))
			}
		})
	}
}

func TestOpenDispatch(t *testing.T) {
	dir := t.TempDir()
	testfs.WriteFile(t, filepath.Join(dir, "t.TSV"), []byte("filepath\ttitle\na.png\tx\n"))
	testfs.WriteFile(t, filepath.Join(dir, "s-0.tar"), tarBytes(t, []member{{"k.png", pngBytes(t, 4, 4, 0)}, {"k.txt", []byte("cap")}}))
	cases := []struct {
		spec    string
		wantN   int
		wantErr string
	}{
		{spec: filepath.Join(dir, "t.TSV"), wantN: 1},
		{spec: filepath.Join(dir, "s-0.tar"), wantN: 1},
		{spec: filepath.Join(dir, "s-{0..0}.tar"), wantN: 1},
		{spec: filepath.Join(dir, "s-{0,1}.tar"), wantErr: "s-1.tar"},
		{spec: filepath.Join(dir, "images"), wantErr: "unknown data format"},
		{spec: filepath.Join(dir, "x.parquet"), wantErr: "unknown data format"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.spec), func(t *testing.T) {
			ds, err := Open(c.spec, TableOptions{})
			if wantError(t, err, c.wantErr) {
				return
			}
			if ds.Len() != c.wantN {
				t.Errorf("Len %d, want %d", ds.Len(), c.wantN)
			}
		})
	}
}
