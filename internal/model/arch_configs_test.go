package model

import (
	"path/filepath"
	"testing"
)

// The shipped architecture files must parse and describe OpenAI's released
// models (parameter counts from OpenAI's checkpoints).
func TestShippedArchitectures(t *testing.T) {
	cases := []struct {
		file   string
		params int
	}{
		{"ViT-B-32.json", 151277313},
		{"ViT-B-16.json", 149620737},
		{"ViT-L-14.json", 427616513},
		{"RN50.json", 102007137},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			cfg, err := LoadOpenCLIPConfig(filepath.Join("..", "..", "configs", "arch", c.file))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, s := range ParamTable(cfg) {
				if !s.Buffer {
					n += s.Numel()
				}
			}
			if n != c.params {
				t.Errorf("%d parameters, OpenAI's checkpoint has %d", n, c.params)
			}
		})
	}
}
