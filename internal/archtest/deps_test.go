// Package archtest keeps the import graph of DESIGN.md section 1: the model,
// trainer and evaluators reach devices only through internal/compute.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/clip-go/clip/"

type pkg struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

func listPackages(t *testing.T, tags string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", tags, "-json", "../../...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	return pkgs
}

func TestImportGraph(t *testing.T) {
	rules := []struct {
		pkg       string // package path below the module, prefix match
		forbidden []string
	}{
		{"internal/model", []string{"internal/cpu", "internal/cuda", "internal/kernels", "cmd/"}},
		{"internal/trainer", []string{"internal/cpu", "internal/cuda", "internal/kernels", "cmd/"}},
		{"internal/eval", []string{"internal/cpu", "internal/cuda", "internal/kernels", "cmd/"}},
		{"internal/compute", []string{"internal/"}},
		{"internal/", []string{"cmd/"}},
	}
	for _, tags := range []string{"", "cuda"} {
		for _, p := range listPackages(t, tags) {
			rel := strings.TrimPrefix(p.ImportPath, module)
			for _, imp := range p.Imports {
				irel, ok := strings.CutPrefix(imp, module)
				if !ok {
					continue
				}
				for _, r := range rules {
					if !strings.HasPrefix(rel, r.pkg) {
						continue
					}
					for _, f := range r.forbidden {
						if strings.HasPrefix(irel, f) {
							t.Errorf("tags %q: %s imports %s, which DESIGN.md forbids", tags, rel, irel)
						}
					}
				}
				if strings.HasPrefix(irel, "internal/kernels") && !strings.HasPrefix(rel, "internal/cuda") {
					t.Errorf("tags %q: %s imports internal/kernels; only internal/cuda may", tags, rel)
				}
			}
		}
	}
}

// compute is the seam every backend implements: it must stay standard
// library only.
func TestComputeUsesStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "../compute").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Fields(string(out)) {
		if line != module+"internal/compute" {
			t.Errorf("internal/compute depends on %s", line)
		}
	}
}
