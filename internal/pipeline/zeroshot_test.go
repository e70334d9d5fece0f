package pipeline

import (
	"context"
	"math"
	"strings"
	"testing"
)

func TestValidateLabelsAndTemplates(t *testing.T) {
	tests := []struct {
		name      string
		labels    []string
		templates []string
		want      string
	}{
		{"ok", []string{"dog", "cat"}, []string{"a {}."}, ""},
		{"no labels", nil, []string{"{}"}, "no labels"},
		{"empty label", []string{"dog", " "}, []string{"{}"}, "label 2 is empty"},
		{"duplicate", []string{"dog", "cat", "dog"}, []string{"{}"}, `duplicate label "dog" (positions 1 and 3)`},
		{"no templates", []string{"dog"}, nil, "no templates"},
		{"no braces", []string{"dog"}, []string{"{}", "a photo"}, `template "a photo" has no {}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateLabels(tc.labels)
			if err == nil {
				err = ValidateTemplates(tc.templates)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
			_, err = fakeModel(&fakeEncoder{}).NewClassifier(context.Background(), tc.labels, tc.templates, BatchOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewClassifier: got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFillTemplate(t *testing.T) {
	if got := FillTemplate("a {} and a {}.", "cat"); got != "a cat and a cat." {
		t.Errorf("got %q", got)
	}
}

func TestNewClassifierAveragesNormalisedTemplates(t *testing.T) {
	// The fake text feature is [first word length, word count, 1].
	m := fakeModel(&fakeEncoder{scale: 10})
	templates := []string{"{}", "x {} y"}
	c, err := m.NewClassifier(context.Background(), []string{"ab", "abcd"}, templates, BatchOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	// OpenCLIP by hand: normalise each template embedding, mean, renormalise.
	unit := func(v []float64) []float64 {
		var s float64
		for _, x := range v {
			s += x * x
		}
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = x / math.Sqrt(s)
		}
		return out
	}
	for l, w0 := range []float64{2, 4} {
		a := unit([]float64{w0, 1, 1})
		b := unit([]float64{1, 3, 1})
		want := unit([]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2})
		for i := range want {
			if got := c.Weights[l*c.Dim+i]; math.Abs(float64(got)-want[i]) > 1e-6 {
				t.Errorf("label %d weight %d = %g, want %g", l, i, got, want[i])
			}
		}
	}
	if c.Scale != 10 || c.Dim != fakeDim {
		t.Errorf("scale %g dim %d", c.Scale, c.Dim)
	}

	// Probs: softmax of scale * cosine; unnormalised features give the same.
	img := []float32{2, 0.5, 1}
	p, err := c.Probs(img)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := c.Probs([]float32{4, 1, 2})
	if _, err := c.Probs([]float32{1, 2}); err == nil {
		t.Error("Probs accepted 2 features for a 3-wide classifier")
	}
	iu := unit([]float64{2, 0.5, 1})
	var logits [2]float64
	for l := range 2 {
		for i := range 3 {
			logits[l] += 10 * iu[i] * float64(c.Weights[l*3+i])
		}
	}
	e0, e1 := math.Exp(logits[0]), math.Exp(logits[1])
	want := []float64{e0 / (e0 + e1), e1 / (e0 + e1)}
	for l := range want {
		if math.Abs(float64(p[l])-want[l]) > 1e-6 || math.Abs(float64(p2[l])-want[l]) > 1e-6 {
			t.Errorf("prob %d = %g (%g scaled input), want %g", l, p[l], p2[l], want[l])
		}
	}
	top := c.Top(p, 1)
	best := 0
	if want[1] > want[0] {
		best = 1
	}
	if len(top) != 1 || top[0].Label != c.Labels[best] {
		t.Errorf("Top(1) = %+v", top)
	}
}

func TestTop(t *testing.T) {
	c := &Classifier{Labels: []string{"a", "b", "c", "d"}}
	probs := []float32{0.1, 0.4, 0.1, 0.4}
	tests := []struct {
		k    int
		want string
	}{
		{0, "b d a c"}, {2, "b d"}, {9, "b d a c"},
	}
	for _, tc := range tests {
		var got []string
		for _, p := range c.Top(probs, tc.k) {
			got = append(got, p.Label)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("Top(%d) = %v, want %s", tc.k, got, tc.want)
		}
	}
}

func TestTemplateSets(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		first string
		last  string
	}{
		{"openai", 80, "a bad photo of a {}.", "a tattoo of the {}."},
		{"simple", 7, "itap of a {}.", "a photo of the small {}."},
	}
	for _, tc := range tests {
		ts, err := TemplateSet(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != tc.n || ts[0] != tc.first || ts[len(ts)-1] != tc.last {
			t.Errorf("%s: %d templates, first %q last %q", tc.name, len(ts), ts[0], ts[len(ts)-1])
		}
		if err := ValidateTemplates(ts); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		seen := map[string]bool{}
		for _, s := range ts {
			if seen[s] {
				t.Errorf("%s: duplicate %q", tc.name, s)
			}
			seen[s] = true
		}
		ts[0] = "changed"
		if again, _ := TemplateSet(tc.name); again[0] == "changed" {
			t.Errorf("%s: TemplateSet returned shared storage", tc.name)
		}
	}
	if _, err := TemplateSet("fancy"); err == nil || !strings.Contains(err.Error(), "openai, simple") {
		t.Errorf("unknown set: %v", err)
	}
	if !strings.Contains(DefaultTemplate, "{}") {
		t.Error("default template has no {}")
	}
}
