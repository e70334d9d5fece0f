package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// leftovers lists the files in dir other than the named ones.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		found := false
		for _, k := range keep {
			found = found || e.Name() == k
		}
		if !found {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "out.bin")
	if err := os.WriteFile(dest, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		write   func(w io.Writer) error
		wantErr bool
		want    string
	}{
		{"failure keeps old content", func(w io.Writer) error {
			_, _ = io.WriteString(w, "partial")
			return errors.New("boom")
		}, true, "old"},
		{"success replaces", func(w io.Writer) error {
			_, err := io.WriteString(w, "new")
			return err
		}, false, "new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteFile(dest, 0o644, tc.write)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			b, _ := os.ReadFile(dest)
			if string(b) != tc.want {
				t.Errorf("content %q, want %q", b, tc.want)
			}
			if l := leftovers(t, dir, "out.bin"); len(l) > 0 {
				t.Errorf("temporary files left: %v", l)
			}
		})
	}
	st, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
}

func TestCreateCloseWithoutCommit(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "x.npy")
	f, err := Create(dest, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("data"); err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(f.Name()) != dir {
		t.Errorf("temporary file %s is not beside %s", f.Name(), dest)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("destination exists after Close without Commit: %v", err)
	}
	if l := leftovers(t, dir); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Close succeeded")
	}
}

func TestCommitThenCloseIsNoop(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "a.txt")
	f, err := Create(dest, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("hi")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close after Commit: %v", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "hi" {
		t.Errorf("content %q", b)
	}
}

func TestCreateInMissingFolder(t *testing.T) {
	_, err := Create(filepath.Join(t.TempDir(), "no", "such", "f"), 0o644)
	if err == nil {
		t.Fatal("Create in a missing folder succeeded")
	}
}

func TestRenameFailureCleansUp(t *testing.T) {
	dir := t.TempDir()
	// A non-empty directory at the destination makes the rename fail.
	dest := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(dest, "inner"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(dest, 0o644, func(w io.Writer) error { return nil })
	if err == nil {
		t.Fatal("rename onto a non-empty directory succeeded")
	}
	if l := leftovers(t, dir, "d"); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
}
