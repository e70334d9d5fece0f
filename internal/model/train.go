package model

import (
	"fmt"

	"github.com/clip-go/clip/internal/compute"
)

// trainState is the gradient side of a model in training: the gradients
// in their own Params (same table, own arena) with the towers built over
// them, and the activations saved by the last ForwardTrain.
type trainState struct {
	ops    compute.TrainOps
	gImage *VisionTransformer
	gText  *TextTransformer
	ctx    Ctx
	img    VisionSaved
	txt    TextSaved
	ready  bool // a ForwardTrain has run since the last Backward
}

// NewGrads allocates the parameter gradients m.Grads (once; later calls
// return the same Params), zeroed. Only the ViT image tower can train so
// far; a ModifiedResNet model or a backend without compute.TrainOps is an
// error.
func (m *CLIP) NewGrads() (*Params, error) {
	if m.Grads != nil {
		return m.Grads, nil
	}
	ops, ok := m.be.(compute.TrainOps)
	if !ok {
		return nil, fmt.Errorf("train: backend %s has no training ops", m.be.Name())
	}
	if _, ok := m.Image.(*VisionTransformer); !ok {
		return nil, fmt.Errorf("train: the %T image tower has no backward yet", m.Image)
	}
	g := NewParams(m.be.NewArena(), m.Params.Specs)
	ops.Zero(g.All)
	act := m.Config.Activation()
	m.train = &trainState{
		ops:    ops,
		gImage: newVisionTransformer(g, m.Config, act),
		gText:  newTextTransformer(g, m.Config, act),
	}
	m.Grads = g
	return g, nil
}

// ZeroGrads sets every parameter gradient to 0 (before a step's backward).
func (m *CLIP) ZeroGrads() error {
	if _, err := m.NewGrads(); err != nil {
		return err
	}
	m.train.ops.Zero(m.Grads.All)
	return nil
}

// ForwardTrain runs both towers keeping the activations Backward needs,
// in arena a (which the caller resets between steps): pixels [n,3,R,R] and
// n token rows -> unnormalised features img [n,E] and txt [n,E] on the
// device, valid until a is reset.
func (m *CLIP) ForwardTrain(a compute.Arena, pixels []float32, n int, tokens [][]int32) (img, txt compute.Tensor, err error) {
	if _, err := m.NewGrads(); err != nil {
		return img, txt, err
	}
	r := m.Config.Vision.ImageSize
	if n <= 0 || len(pixels) != n*3*r*r || len(tokens) != n {
		return img, txt, fmt.Errorf("train forward: %d values and %d texts for %d images of 3x%dx%d", len(pixels), len(tokens), n, r, r)
	}
	s := m.train
	s.ready = false
	s.ctx = Ctx{Be: m.be, A: a, Keep: true}
	x := a.Alloc(n, 3, r, r)
	m.be.Upload(x, pixels)
	txt, err = m.Text.ForwardSave(&s.ctx, tokens, &s.txt)
	if err != nil {
		return img, txt, fmt.Errorf("train forward: %w", err)
	}
	img = m.Image.(*VisionTransformer).ForwardSave(&s.ctx, x, &s.img)
	s.ready = true
	return img, txt, nil
}

// Backward back-propagates the gradients of the loss with respect to the
// features of the last ForwardTrain, dImg [n,E] and dTxt [n,E], through
// both towers, accumulating the parameter gradients into m.Grads. It reads
// the activations ForwardTrain saved and allocates its temporaries from the
// same arena, which must not have been reset in between.
// (logit_scale's gradient is the caller's: the loss owns the scale.)
func (m *CLIP) Backward(dImg, dTxt compute.Tensor) error {
	s := m.train
	if s == nil || !s.ready {
		return fmt.Errorf("train backward: no ForwardTrain to back-propagate")
	}
	s.ready = false
	c := &s.ctx
	m.Image.(*VisionTransformer).Backward(c, s.gImage, &s.img, dImg)
	m.Text.Backward(c, s.gText, &s.txt, dTxt)
	return nil
}
