package dl

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Candidates lists, in the order to try them, the paths or sonames of a
// library: the file named by the environment variable env (a full path;
// when set, nothing else is tried), then each soname as the dynamic loader
// finds it (LD_LIBRARY_PATH, ld.so.cache), then copies installed by pip
// (nvidia-* wheels) under the usual site-packages folders, where pkgDir is
// the wheel's folder below site-packages/nvidia (e.g. "cublas/lib").
func Candidates(env string, sonames []string, pkgDir string) []string {
	if p := os.Getenv(env); p != "" {
		return []string{p}
	}
	out := slices.Clone(sonames)
	home, _ := os.UserHomeDir()
	roots := []string{
		"/usr/local/lib/python3*/dist-packages",
		"/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages",
		"/usr/lib/python3*/site-packages",
		"/opt/conda/lib/python3*/site-packages",
		"/opt/venv/lib/python3*/site-packages",
	}
	if home != "" {
		roots = append(roots, filepath.Join(home, ".local/lib/python3*/site-packages"))
	}
	if v := os.Getenv("VIRTUAL_ENV"); v != "" {
		roots = append(roots, filepath.Join(v, "lib/python3*/site-packages"))
	}
	for _, so := range sonames {
		for _, r := range roots {
			m, _ := filepath.Glob(filepath.Join(r, "nvidia", pkgDir, so))
			out = append(out, m...)
		}
	}
	return out
}

// Load tries the Candidates of a library in order with open, which loads
// one path or says why it cannot, and returns the first path open accepts.
// Otherwise the error names the library (what) and env and lists every
// path tried with its failure.
func Load(what, env string, sonames []string, pkgDir string, open func(path string) error) (string, error) {
	var tried []string
	for _, p := range Candidates(env, sonames, pkgDir) {
		err := open(p)
		if err == nil {
			return p, nil
		}
		tried = append(tried, p+": "+err.Error())
	}
	return "", fmt.Errorf("no usable %s (set %s):\n  %s", what, env, strings.Join(tried, "\n  "))
}
