package checkpoint

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clip-go/clip/internal/model"
)

// check compares the mapped tensors with the architecture's parameter
// table and reports, in one error, every missing, mis-shaped and unexpected
// tensor, so that a wrong config is diagnosed in one run.
func (s sources) check(table []model.ParamSpec) error {
	var missing, misshaped, unexpected []string
	want := make(map[string]bool, len(table))
	for _, p := range table {
		want[p.Name] = true
		src, ok := s[p.Name]
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("%s %v", p.Name, shapeOf(p.Shape)))
		case !model.SameShape(src.shape, p.Shape):
			misshaped = append(misshaped, fmt.Sprintf("%s%s has shape %v, want %v", p.Name, src.origin(p.Name), src.shape, shapeOf(p.Shape)))
		}
	}
	for name, src := range s {
		if !want[name] {
			unexpected = append(unexpected, name+src.origin(name))
		}
	}
	var problems []string
	if len(missing) > 0 {
		problems = append(problems, "missing tensors: "+listSome(missing))
	}
	if len(misshaped) > 0 {
		problems = append(problems, "wrong shapes: "+listSome(misshaped))
	}
	if len(unexpected) > 0 {
		problems = append(problems, "tensors this architecture does not have: "+listSome(unexpected))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// shapeOf normalises a scalar's shape to the empty slice the reader reports.
func shapeOf(shape []int) []int {
	if shape == nil {
		return []int{}
	}
	return shape
}
