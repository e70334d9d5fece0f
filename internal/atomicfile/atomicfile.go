// Package atomicfile writes files so that readers see either the old file or
// the complete new one, never a partial write: data goes to a temporary file
// in the destination's folder (a rename is only atomic within one file
// system), is synced, and is renamed over the destination on Commit. Any
// failure, or Close without Commit, removes the temporary file.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is a pending replacement of a destination file.
type File struct {
	*os.File
	dest string
	perm os.FileMode
	done bool
}

// Create opens a temporary file beside dest. perm is applied on Commit
// (os.CreateTemp always creates 0600).
func Create(dest string, perm os.FileMode) (*File, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", dest, err)
	}
	return &File{File: f, dest: dest, perm: perm}, nil
}

// Commit syncs the data, sets the permissions and renames the temporary file
// onto the destination. On error the temporary file is removed and the
// destination is untouched.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("commit %s: already committed or closed", f.dest)
	}
	f.done = true
	tmp := f.Name()
	err := f.Sync()
	if err == nil {
		err = f.Chmod(f.perm)
	}
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.dest)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", f.dest, err)
	}
	syncDir(filepath.Dir(f.dest))
	return nil
}

// Close abandons the write unless Commit succeeded: the temporary file is
// removed. It is safe to defer Close right after Create.
func (f *File) Close() error {
	if f.done {
		return nil
	}
	f.done = true
	err := f.File.Close()
	if rerr := os.Remove(f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

// syncDir makes the rename durable. Errors are ignored: some file systems do
// not support syncing a directory, and the data itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// WriteFile writes dest atomically with the bytes that write produces.
func WriteFile(dest string, perm os.FileMode, write func(w io.Writer) error) error {
	f, err := Create(dest, perm)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := write(f); err != nil {
		return fmt.Errorf("write %s: %w", dest, err)
	}
	return f.Commit()
}
