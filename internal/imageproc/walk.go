package imageproc

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
)

// Extensions are the file extensions (lower case) a folder walk keeps: the
// formats Decode reads.
var Extensions = []string{".gif", ".jpeg", ".jpg", ".png", ".webp"}

// IsImageFile reports whether name has one of Extensions (any case).
func IsImageFile(name string) bool {
	return slices.Contains(Extensions, strings.ToLower(filepath.Ext(name)))
}

// WalkImages calls fn for every image file below dir, recursively, in
// sorted order, keeping Extensions and skipping hidden files and folders
// (".DS_Store", "._x.jpg" resource forks). A dir ending in a separator is
// followed if it is a symbolic link.
func WalkImages(dir string, fn func(path string)) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && IsImageFile(path) {
			fn(path)
		}
		return nil
	})
}
