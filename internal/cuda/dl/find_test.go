package dl

import (
	"os"
	"path/filepath"
	"slices"
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
