package model

import (
	"fmt"
	"strings"
)

// ParamSpec names one tensor of the model's state: its OpenCLIP/OpenAI
// state-dict key, its shape, and how training treats it.
type ParamSpec struct {
	Name  string
	Shape []int
	// Buffer marks running statistics (BatchNorm running_mean/var): part of
	// the state dict, never trained.
	Buffer bool
}

// Numel is the number of elements of the tensor.
func (p ParamSpec) Numel() int {
	n := 1
	for _, d := range p.Shape {
		n *= d
	}
	return n
}

// Dims is the shape of the spec's tensor: a scalar is one element, [1].
func (p ParamSpec) Dims() []int {
	if len(p.Shape) == 0 {
		return []int{1}
	}
	return p.Shape
}

// Decays reports whether AdamW applies weight decay to this tensor, by
// OpenCLIP's rule: no decay for tensors with fewer than 2 dimensions or whose
// name contains bn, ln, bias or logit_scale.
func (p ParamSpec) Decays() bool {
	if p.Buffer || len(p.Shape) < 2 {
		return false
	}
	for _, s := range []string{"bn", "ln", "bias", "logit_scale"} {
		if strings.Contains(p.Name, s) {
			return false
		}
	}
	return true
}

// ParamTable lists every tensor of the architecture in OpenAI's state-dict
// order. It drives weight loading, checkpoint keys, arena layout and
// optimiser groups.
func ParamTable(c Config) []ParamSpec {
	var t table
	w := c.Text.Width
	t.add("positional_embedding", c.Text.ContextLength, w)
	t.add("text_projection", w, c.EmbedDim)
	t.add("logit_scale")
	if c.Vision.IsResNet() {
		t.resnet("visual.", c)
	} else {
		t.vit("visual.", c)
	}
	t.transformer("transformer.", w, c.Text.Layers)
	t.add("token_embedding.weight", c.Text.VocabSize, w)
	t.add("ln_final.weight", w)
	t.add("ln_final.bias", w)
	return t.specs
}

type table struct{ specs []ParamSpec }

func (t *table) add(name string, shape ...int) {
	t.specs = append(t.specs, ParamSpec{Name: name, Shape: shape})
}

func (t *table) layerNorm(name string, w int) {
	t.add(name+".weight", w)
	t.add(name+".bias", w)
}

// transformer adds the pre-LN residual blocks of width w.
func (t *table) transformer(prefix string, w, layers int) {
	for i := 0; i < layers; i++ {
		p := fmt.Sprintf("%sresblocks.%d.", prefix, i)
		t.add(p+"attn.in_proj_weight", 3*w, w)
		t.add(p+"attn.in_proj_bias", 3*w)
		t.add(p+"attn.out_proj.weight", w, w)
		t.add(p+"attn.out_proj.bias", w)
		t.layerNorm(p+"ln_1", w)
		t.add(p+"mlp.c_fc.weight", 4*w, w)
		t.add(p+"mlp.c_fc.bias", 4*w)
		t.add(p+"mlp.c_proj.weight", w, 4*w)
		t.add(p+"mlp.c_proj.bias", w)
		t.layerNorm(p+"ln_2", w)
	}
}

func (t *table) vit(prefix string, c Config) {
	v := c.Vision
	g := v.Grid()
	t.add(prefix+"class_embedding", v.Width)
	t.add(prefix+"positional_embedding", g*g+1, v.Width)
	t.add(prefix+"proj", v.Width, c.EmbedDim)
	t.add(prefix+"conv1.weight", v.Width, 3, v.PatchSize, v.PatchSize)
	t.layerNorm(prefix+"ln_pre", v.Width)
	t.transformer(prefix+"transformer.", v.Width, v.Layers)
	t.layerNorm(prefix+"ln_post", v.Width)
}

// batchNorm adds a BatchNorm2d's affine parameters and running statistics.
func (t *table) batchNorm(name string, ch int) {
	t.add(name+".weight", ch)
	t.add(name+".bias", ch)
	t.specs = append(t.specs,
		ParamSpec{Name: name + ".running_mean", Shape: []int{ch}, Buffer: true},
		ParamSpec{Name: name + ".running_var", Shape: []int{ch}, Buffer: true})
}

// ResNetStage describes one Bottleneck of a ModifiedResNet stage.
type ResNetStage struct {
	Prefix     string // e.g. "visual.layer2.0."
	Inplanes   int
	Planes     int // output channels are 4*Planes
	Stride     int
	Downsample bool
}

// ResNetBlocks lists the Bottleneck blocks of a ModifiedResNet in order.
func ResNetBlocks(prefix string, v VisionConfig) []ResNetStage {
	var blocks []ResNetStage
	inplanes := v.Width
	for s, depth := range v.ResNetLayers {
		planes := v.Width << s
		for j := 0; j < depth; j++ {
			stride := 1
			if j == 0 && s > 0 {
				stride = 2
			}
			blocks = append(blocks, ResNetStage{
				Prefix:     fmt.Sprintf("%slayer%d.%d.", prefix, s+1, j),
				Inplanes:   inplanes,
				Planes:     planes,
				Stride:     stride,
				Downsample: stride > 1 || inplanes != planes*4,
			})
			inplanes = planes * 4
		}
	}
	return blocks
}

func (t *table) resnet(prefix string, c Config) {
	v := c.Vision
	w := v.Width
	t.add(prefix+"conv1.weight", w/2, 3, 3, 3)
	t.batchNorm(prefix+"bn1", w/2)
	t.add(prefix+"conv2.weight", w/2, w/2, 3, 3)
	t.batchNorm(prefix+"bn2", w/2)
	t.add(prefix+"conv3.weight", w, w/2, 3, 3)
	t.batchNorm(prefix+"bn3", w)
	for _, b := range ResNetBlocks(prefix, v) {
		t.add(b.Prefix+"conv1.weight", b.Planes, b.Inplanes, 1, 1)
		t.batchNorm(b.Prefix+"bn1", b.Planes)
		t.add(b.Prefix+"conv2.weight", b.Planes, b.Planes, 3, 3)
		t.batchNorm(b.Prefix+"bn2", b.Planes)
		t.add(b.Prefix+"conv3.weight", 4*b.Planes, b.Planes, 1, 1)
		t.batchNorm(b.Prefix+"bn3", 4*b.Planes)
		if b.Downsample {
			t.add(b.Prefix+"downsample.0.weight", 4*b.Planes, b.Inplanes, 1, 1)
			t.batchNorm(b.Prefix+"downsample.1", 4*b.Planes)
		}
	}
	d := w * 32
	sp := v.ImageSize / 32
	a := prefix + "attnpool."
	t.add(a+"positional_embedding", sp*sp+1, d)
	for _, n := range []string{"k_proj", "q_proj", "v_proj"} {
		t.add(a+n+".weight", d, d)
		t.add(a+n+".bias", d)
	}
	t.add(a+"c_proj.weight", c.EmbedDim, d)
	t.add(a+"c_proj.bias", c.EmbedDim)
}
