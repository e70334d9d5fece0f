package eval

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clip-go/clip/internal/testfs"
)

func TestReadImageFolder(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	testfs.WriteFiles(t, dir, map[string]string{
		"root/dog/b.png":                "",
		"root/dog/a.JPG":                "",
		"root/dog/deep/c.webp":          "",
		"root/dog/notes.txt":            "",
		"root/dog/.hidden.png":          "",
		"root/dog/.cache/x.png":         "",
		"root/Cat/1.jpeg":               "",
		"root/Cat/2.gif":                "",
		"root/.ipynb_checkpoints/x.png": "",
		"root/stray.png":                "",
		"elsewhere/z.png":               "",
	})
	// A class folder that is a symbolic link is followed.
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(root, "zebra")); err != nil {
		t.Fatal(err)
	}
	f, err := ReadImageFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Cat", "dog", "zebra"}; !reflect.DeepEqual(f.Classes, want) {
		t.Errorf("classes %q, want %q (byte order, hidden skipped)", f.Classes, want)
	}
	rel := make([]string, len(f.Paths))
	for i, p := range f.Paths {
		r, err := filepath.Rel(root, p)
		if err != nil {
			t.Fatal(err)
		}
		rel[i] = filepath.ToSlash(r)
	}
	wantPaths := []string{"Cat/1.jpeg", "Cat/2.gif", "dog/a.JPG", "dog/b.png", "dog/deep/c.webp", "zebra/z.png"}
	if !reflect.DeepEqual(rel, wantPaths) {
		t.Errorf("paths %q\nwant %q", rel, wantPaths)
	}
	if want := []int{0, 0, 1, 1, 1, 2}; !reflect.DeepEqual(f.Labels, want) {
		t.Errorf("labels %v, want %v", f.Labels, want)
	}
	for _, p := range f.Paths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("path %s does not open: %v", p, err)
		}
	}
}

func TestReadImageFolderErrors(t *testing.T) {
	dir := t.TempDir()
	testfs.WriteFiles(t, dir, map[string]string{
		"flat/a.png":         "",
		"empty/cat/a.png":    "",
		"empty/dog/note.txt": "",
		"empty/eel/.x.png":   "",
	})
	tests := []struct{ root, want string }{
		{filepath.Join(dir, "nope"), "no such file"},
		{filepath.Join(dir, "flat"), "no class folders"},
		{filepath.Join(dir, "empty"), "in class folder(s) dog, eel"},
	}
	for _, tc := range tests {
		_, err := ReadImageFolder(tc.root)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadImageFolder(%s) error %v, want %q", tc.root, err, tc.want)
		}
	}
}

func TestReadClassNames(t *testing.T) {
	folders := []string{"n01", "n02", "n03"}
	tests := []struct {
		name, content string
		want          []string
		err           string
	}{
		{"one per line", "tench\n\n  goldfish \r\nwhite shark\n", []string{"tench", "goldfish", "white shark"}, ""},
		{"folder TAB name, any order", "n03\twhite shark\nn01\ttench\n\nn02\tgoldfish\n", []string{"tench", "goldfish", "white shark"}, ""},
		{"too few", "tench\ngoldfish\n", nil, `2 names for 3 class folders (folder "n03" has no name)`},
		{"too many", "a\n\nb\nc\nd\n", nil, "4 names for 3 class folders (line 5 has no folder)"},
		{"mixed", "n01\ttench\ngoldfish\n", nil, `names.txt:2: mixes "folder<TAB>name" lines`},
		{"unknown folder", "n01\ta\nn09\tb\n", nil, `names.txt:2: no class folder "n09"`},
		{"repeated folder", "n01\ta\nn02\tb\nn01\tc\n", nil, `names.txt:3: folder "n01" already named on line 1`},
		{"empty name", "n01\t \n", nil, `names.txt:1: empty name for folder "n01"`},
		{"missing folders", "n02\tb\n", nil, "no name for folder(s) n01, n03"},
		{"empty file", "\n\n", nil, "no names"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "names.txt")
			testfs.WriteFile(t, p, []byte(tc.content))
			got, err := ReadClassNames(p, folders)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("names %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := ReadClassNames(filepath.Join(t.TempDir(), "nope.txt"), folders); err == nil || !strings.Contains(err.Error(), "nope.txt") {
		t.Errorf("missing file: error %v", err)
	}
}

func TestReadTemplates(t *testing.T) {
	dir := t.TempDir()
	testfs.WriteFiles(t, dir, map[string]string{
		"ok.txt":    "a photo of a {}.\r\n\n  {}, drawn  \n",
		"bad.txt":   "a {}\n\nno braces\n",
		"empty.txt": " \n",
	})
	got, err := ReadTemplates(filepath.Join(dir, "ok.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a photo of a {}.", "  {}, drawn  "}; !reflect.DeepEqual(got, want) {
		t.Errorf("templates %q, want %q", got, want)
	}
	for name, want := range map[string]string{"bad.txt": `bad.txt:3: template "no braces" has no {}`, "empty.txt": "no templates", "nope.txt": "nope.txt"} {
		if _, err := ReadTemplates(filepath.Join(dir, name)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", name, err, want)
		}
	}
}
