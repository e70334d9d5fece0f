package pipeline

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Classifier is a zero-shot classifier: one unit-length text embedding per
// label, and the model's logit scale.
type Classifier struct {
	Labels  []string
	Weights []float32 // [len(Labels), Dim], unit rows
	Dim     int
	Scale   float32 // exp(logit_scale)
}

// ValidateLabels rejects an empty list, empty labels and duplicates, naming
// the offender.
func ValidateLabels(labels []string) error {
	if len(labels) == 0 {
		return fmt.Errorf("no labels")
	}
	seen := make(map[string]int, len(labels))
	for i, l := range labels {
		if strings.TrimSpace(l) == "" {
			return fmt.Errorf("label %d is empty", i+1)
		}
		if j, ok := seen[l]; ok {
			return fmt.Errorf("duplicate label %q (positions %d and %d)", l, j+1, i+1)
		}
		seen[l] = i
	}
	return nil
}

// ValidateTemplates rejects an empty list and templates without "{}".
func ValidateTemplates(templates []string) error {
	if len(templates) == 0 {
		return fmt.Errorf("no templates")
	}
	for _, t := range templates {
		if !strings.Contains(t, "{}") {
			return fmt.Errorf("template %q has no {} for the label", t)
		}
	}
	return nil
}

// FillTemplate puts label in place of every "{}" of template.
func FillTemplate(template, label string) string {
	return strings.ReplaceAll(template, "{}", label)
}

// NewClassifier builds a zero-shot classifier as OpenCLIP's
// build_zero_shot_classifier: every label is written into every template,
// each text embedding is L2-normalised, the embeddings of a label are
// averaged over the templates, and the mean is normalised again.
func (m *Model) NewClassifier(ctx context.Context, labels, templates []string, opts BatchOptions) (*Classifier, error) {
	if err := ValidateLabels(labels); err != nil {
		return nil, err
	}
	if err := ValidateTemplates(templates); err != nil {
		return nil, err
	}
	texts := make([]string, 0, len(labels)*len(templates))
	for _, l := range labels {
		for _, t := range templates {
			texts = append(texts, FillTemplate(t, l))
		}
	}
	opts.Normalize = true
	feats, dim, err := m.TextFeatures(ctx, texts, opts)
	if err != nil {
		return nil, fmt.Errorf("embed label prompts: %w", err)
	}
	return newClassifier(labels, len(templates), feats, dim, m.Encoder.LogitScale()), nil
}

// newClassifier averages unit text features [L*T, dim] (label-major) over
// the T templates and renormalises.
func newClassifier(labels []string, nTemplates int, feats []float32, dim int, scale float32) *Classifier {
	w := make([]float32, len(labels)*dim)
	acc := make([]float64, dim)
	for l := range labels {
		clear(acc)
		for t := range nTemplates {
			row := feats[(l*nTemplates+t)*dim:][:dim]
			for i, v := range row {
				acc[i] += float64(v)
			}
		}
		for i := range acc {
			w[l*dim+i] = float32(acc[i] / float64(nTemplates))
		}
	}
	L2Normalize(w, dim)
	return &Classifier{Labels: append([]string(nil), labels...), Weights: w, Dim: dim, Scale: scale}
}

// Probs returns softmax(Scale * cos(image, label)) over the labels for one
// image's features (normalised here, so raw encode_image output is fine).
func (c *Classifier) Probs(features []float32) ([]float32, error) {
	if len(features) != c.Dim {
		return nil, fmt.Errorf("classify: %d image features, the label embeddings have %d", len(features), c.Dim)
	}
	img := append([]float32(nil), features...)
	L2Normalize(img, c.Dim)
	logits := make([]float64, len(c.Labels))
	mx := math.Inf(-1)
	for l := range c.Labels {
		var dot float64
		for i, v := range c.Weights[l*c.Dim:][:c.Dim] {
			dot += float64(v) * float64(img[i])
		}
		logits[l] = float64(c.Scale) * dot
		mx = math.Max(mx, logits[l])
	}
	var sum float64
	for l := range logits {
		logits[l] = math.Exp(logits[l] - mx)
		sum += logits[l]
	}
	p := make([]float32, len(logits))
	for l := range logits {
		p[l] = float32(logits[l] / sum)
	}
	return p, nil
}

// Prediction is one label with its probability.
type Prediction struct {
	Label string
	Prob  float32
}

// Top returns the k most probable labels (all if k <= 0 or k > len),
// highest first; ties keep label order.
func (c *Classifier) Top(probs []float32, k int) []Prediction {
	ps := make([]Prediction, len(probs))
	for i, p := range probs {
		ps[i] = Prediction{c.Labels[i], p}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Prob > ps[j].Prob })
	if k > 0 && k < len(ps) {
		ps = ps[:k]
	}
	return ps
}
