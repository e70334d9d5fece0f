package kernels

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var entryRE = regexp.MustCompile(`(?m)^\.visible \.entry (\w+)\(`)

// The PTX defines exactly the listed kernels, for the target the driver
// JIT-compiles from, and every .cu file has its module.
func TestPTXMatchesModules(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Modules() {
		seen[m.Name] = true
		src, err := PTX(m.Name)
		if err != nil {
			t.Fatalf("module %s: %v", m.Name, err)
		}
		if !strings.Contains(src, "\n.target sm_80\n") {
			t.Errorf("%s.ptx: not compiled for compute_80 (make ptx)", m.Name)
		}
		var got []string
		for _, e := range entryRE.FindAllStringSubmatch(src, -1) {
			got = append(got, e[1])
		}
		want := slices.Clone(m.Kernels)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s.ptx defines %v, Modules lists %v", m.Name, got, want)
		}
	}
	cus, err := filepath.Glob("*.cu")
	if err != nil {
		t.Fatal(err)
	}
	for _, cu := range cus {
		name := strings.TrimSuffix(cu, ".cu")
		if !seen[name] {
			t.Errorf("%s has no entry in Modules", cu)
		}
		if _, err := os.Stat(name + ".ptx"); err != nil {
			t.Errorf("%s: no PTX (run make ptx): %v", cu, err)
		}
	}
}

// Every kernel source documents its shapes and launch geometry up front.
func TestSourcesHaveHeaderComments(t *testing.T) {
	cus, err := filepath.Glob("*.cu")
	if err != nil {
		t.Fatal(err)
	}
	for _, cu := range cus {
		b, err := os.ReadFile(cu)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if !strings.HasPrefix(s, "// "+cu+":") {
			t.Errorf("%s: want a header comment starting %q", cu, "// "+cu+":")
		}
		head := s[:strings.Index(s, "#include")]
		if !strings.Contains(strings.ToLower(head), "grid") {
			t.Errorf("%s: header comment gives no launch geometry", cu)
		}
	}
}
