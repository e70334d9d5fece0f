package main

import (
	"context"
	"fmt"

	"github.com/clip-go/clip/internal/eval"
	"github.com/clip-go/clip/internal/model"
	"github.com/clip-go/clip/internal/pipeline"
	"github.com/clip-go/clip/internal/tokenizer"
	"github.com/clip-go/clip/internal/trainer"
)

// trainEval returns the zero-shot evaluation run during training: the
// --eval-data ImageFolder (folder names are the labels) classified with
// the --templates prompts by the replica being trained.
func (a *app) trainEval(o *trainOptions, tok *tokenizer.Tokenizer, cfg model.Config) (func(context.Context, int, *trainer.Device) (map[string]float64, error), error) {
	folder, err := eval.ReadImageFolder(o.evalData)
	if err != nil {
		return nil, usagef("eval-data: %v", err)
	}
	spec := o.templates
	if spec == "" {
		spec = "openai"
	}
	templates, err := a.resolveTemplates(spec)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, step int, dev *trainer.Device) (map[string]float64, error) {
		m := &pipeline.Model{
			Config:    cfg,
			Encoder:   dev.Model,
			Tokenizer: tok,
			LoadImage: pipeline.ImageLoader(cfg.Vision.ImageSize, cfg.Vision.Mean, cfg.Vision.Std, o.maxPixels),
		}
		res, err := eval.ZeroShot(ctx, m, folder, folder.Classes, templates, pipeline.BatchOptions{Workers: o.workers})
		if err != nil {
			return nil, err
		}
		if res.N == 0 {
			return nil, fmt.Errorf("no image of %s could be read", o.evalData)
		}
		return map[string]float64{"zeroshot_top1": res.Top1, "zeroshot_top5": res.Top5}, nil
	}, nil
}
