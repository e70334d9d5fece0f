// Package eval measures a CLIP model: zero-shot classification accuracy on a
// class-per-folder image tree and image-text retrieval recall on paired
// data, with OpenCLIP's protocols. It embeds through internal/pipeline, so
// the command line and the trainer (which evaluates during training) share
// one implementation; the metrics themselves are pure functions of score
// matrices, tested on hand-made cases.
package eval

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/clip-go/clip/internal/imageproc"
)

// ImageFolder is a labelled image set laid out as torchvision's ImageFolder:
// one sub-folder per class under a root, class index = position of the
// folder name in sorted order.
type ImageFolder struct {
	Root    string
	Classes []string // folder names, sorted; class i is Classes[i]
	Paths   []string // image files: class by class, each class's files in sorted walk order
	Labels  []int    // Labels[i] is the class index of Paths[i]
}

// ReadImageFolder lists root's class folders (sorted by name, byte order,
// hidden ones skipped) and every image file below each of them (walked
// recursively in sorted order, keeping imageproc.Extensions, skipping hidden
// files and folders). Files directly in root are ignored, as torchvision
// does. A class folder that is a symbolic link is followed. It is an error
// for root to hold no class folder or for a class folder to hold no image
// (torchvision's ImageFolder refuses empty classes too): a typo in a path
// should not silently yield a smaller task.
func ReadImageFolder(root string) (*ImageFolder, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("image folder: %w", err)
	}
	f := &ImageFolder{Root: root}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		// Stat, not the entry's type, so that symbolic links to folders
		// count as class folders.
		st, err := os.Stat(filepath.Join(root, e.Name()))
		if err != nil || !st.IsDir() {
			continue
		}
		f.Classes = append(f.Classes, e.Name())
	}
	if len(f.Classes) == 0 {
		return nil, fmt.Errorf("image folder %s: no class folders (want one sub-folder of images per class)", root)
	}
	var empty []string
	for label, class := range f.Classes {
		n := len(f.Paths)
		// The trailing separator makes WalkDir follow a linked class folder:
		// it does not descend into a root that is itself a link.
		dir := filepath.Join(root, class) + string(filepath.Separator)
		err := imageproc.WalkImages(dir, func(path string) {
			f.Paths = append(f.Paths, path)
			f.Labels = append(f.Labels, label)
		})
		if err != nil {
			return nil, fmt.Errorf("image folder %s: %w", root, err)
		}
		if len(f.Paths) == n {
			empty = append(empty, class)
		}
	}
	if len(empty) > 0 {
		return nil, fmt.Errorf("image folder %s: no image files (%s) in class folder(s) %s",
			root, strings.Join(imageproc.Extensions, " "), strings.Join(empty, ", "))
	}
	return f, nil
}

// ReadClassNames reads human-readable class names for the class folders
// folders (ImageFolder.Classes) from a text file in one of two forms:
//
//   - one name per line, the i-th name for the i-th folder in sorted order;
//   - "folder<TAB>name" lines, in any order, naming every folder once.
//
// Blank lines are skipped and names are trimmed of surrounding spaces; the
// two forms cannot be mixed. Errors name the file and line: a count that
// does not match the folders, an unknown or repeated folder, a missing one.
func ReadClassNames(path string, folders []string) ([]string, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("class names: %w", err)
	}
	defer file.Close()
	type line struct {
		no   int
		text string
	}
	var lines []line
	sc := bufio.NewScanner(file)
	sc.Buffer(nil, 1<<20)
	for no := 1; sc.Scan(); no++ {
		t := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(t) != "" {
			lines = append(lines, line{no, t})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("class names %s: %w", path, err)
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("class names %s: no names in the file", path)
	}
	tabbed := strings.Contains(lines[0].text, "\t")
	for _, l := range lines {
		if strings.Contains(l.text, "\t") != tabbed {
			return nil, fmt.Errorf("%s:%d: mixes \"folder<TAB>name\" lines with plain name lines (line %d)", path, l.no, lines[0].no)
		}
	}
	if !tabbed {
		if len(lines) != len(folders) {
			where := ""
			if len(lines) > len(folders) {
				where = fmt.Sprintf(" (line %d has no folder)", lines[len(folders)].no)
			} else {
				where = fmt.Sprintf(" (folder %q has no name)", folders[len(lines)])
			}
			return nil, fmt.Errorf("class names %s: %d names for %d class folders%s", path, len(lines), len(folders), where)
		}
		names := make([]string, len(lines))
		for i, l := range lines {
			names[i] = strings.TrimSpace(l.text)
		}
		return names, nil
	}
	index := make(map[string]int, len(folders))
	for i, f := range folders {
		index[f] = i
	}
	names := make([]string, len(folders))
	seenAt := make([]int, len(folders))
	for _, l := range lines {
		folder, name, _ := strings.Cut(l.text, "\t")
		folder, name = strings.TrimSpace(folder), strings.TrimSpace(name)
		i, ok := index[folder]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s:%d: no class folder %q", path, l.no, folder)
		case seenAt[i] != 0:
			return nil, fmt.Errorf("%s:%d: folder %q already named on line %d", path, l.no, folder, seenAt[i])
		case name == "":
			return nil, fmt.Errorf("%s:%d: empty name for folder %q", path, l.no, folder)
		}
		names[i], seenAt[i] = name, l.no
	}
	var missing []string
	for i, at := range seenAt {
		if at == 0 {
			missing = append(missing, folders[i])
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, fmt.Errorf("class names %s: no name for folder(s) %s", path, strings.Join(missing, ", "))
	}
	return names, nil
}

// ReadTemplates reads prompt templates, one per line with {} for the class
// name; blank lines are skipped and line endings (\n or \r\n) removed, other
// spaces kept. A line without {} is an error naming the file and line.
func ReadTemplates(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	var out []string
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if !strings.Contains(l, "{}") {
			return nil, fmt.Errorf("%s:%d: template %q has no {} for the class name", path, i+1, l)
		}
		out = append(out, l)
	}
	if len(out) == 0 {
		return nil, errors.New("templates " + path + ": no templates in the file")
	}
	return out, nil
}
