package dl

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCandidates(t *testing.T) {
	t.Setenv("CLIP_TEST_LIB", "/x/libfoo.so.3")
	if got := Candidates("CLIP_TEST_LIB", []string{"libfoo.so.3"}, "foo/lib"); !slices.Equal(got, []string{"/x/libfoo.so.3"}) {
		t.Errorf("with the variable set: %v", got)
	}
	t.Setenv("CLIP_TEST_LIB", "")
	venv := t.TempDir()
	lib := filepath.Join(venv, "lib/python3.12/site-packages/nvidia/foo/lib/libfoo.so.3")
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIRTUAL_ENV", venv)
	got := Candidates("CLIP_TEST_LIB", []string{"libfoo.so.3"}, "foo/lib")
	if len(got) < 2 || got[0] != "libfoo.so.3" || !slices.Contains(got, lib) {
		t.Errorf("want the soname first and %s among %v", lib, got)
	}
}

func TestLoad(t *testing.T) {
	t.Setenv("CLIP_TEST_LIB", "")
	t.Setenv("VIRTUAL_ENV", "")
	var opened []string
	open := func(accept string) func(string) error {
		return func(p string) error {
			opened = append(opened, p)
			if p == accept {
				return nil
			}
			return errors.New("cannot open")
		}
	}
	got, err := Load("libfoo", "CLIP_TEST_LIB", []string{"libfoo.so.3", "libfoo.so.2"}, "foo/lib", open("libfoo.so.2"))
	if err != nil || got != "libfoo.so.2" || !slices.Equal(opened, []string{"libfoo.so.3", "libfoo.so.2"}) {
		t.Errorf("got %q, %v after trying %v; want libfoo.so.2 on the second try", got, err, opened)
	}
	opened = nil
	_, err = Load("libfoo", "CLIP_TEST_LIB", []string{"libfoo.so.3"}, "foo/lib", open(""))
	if err == nil || !strings.Contains(err.Error(), "no usable libfoo (set CLIP_TEST_LIB)") || !strings.Contains(err.Error(), "libfoo.so.3: cannot open") {
		t.Errorf("want an error naming the library, the variable and each failure, got %v", err)
	}
}
