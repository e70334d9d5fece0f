package checkpoint

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/clip-go/clip/internal/safetensors"
)

// source says how one OpenCLIP tensor is made from the weights file.
type source struct {
	parts []string // file keys, concatenated along the first axis (HF q, k, v)
	shape []int    // the resulting OpenCLIP shape
	// transpose marks a 2-D HF Linear weight [out, in] that OpenCLIP keeps as
	// a matrix multiplied from the right, [in, out].
	transpose bool
}

// origin describes where a tensor came from, for error messages.
func (s source) origin(name string) string {
	switch {
	case len(s.parts) == 1 && s.parts[0] == name:
		return ""
	case s.transpose:
		return fmt.Sprintf(" (from %s, transposed)", s.parts[0])
	default:
		return fmt.Sprintf(" (from %s)", strings.Join(s.parts, " + "))
	}
}

// forName says which OpenCLIP tensor a file key feeds, for errors about
// the key ("" when the key is the name).
func (s source) forName(name string) string {
	if len(s.parts) == 1 && s.parts[0] == name {
		return ""
	}
	return " (for " + name + ")"
}

// sources maps OpenCLIP names to their sources in one file.
type sources map[string]source

// shapes returns the OpenCLIP shape of every mapped tensor.
func (s sources) shapes() map[string][]int {
	m := make(map[string][]int, len(s))
	for name, src := range s {
		m[name] = src.shape
	}
	return m
}

// mapTensors detects the layout of f's tensor names and maps them to
// OpenCLIP names, skipping derived buffers.
func mapTensors(f *safetensors.File) (sources, string, error) {
	names := stripModulePrefix(f.Names())
	var hf, oc bool
	for _, n := range names {
		hf = hf || strings.HasPrefix(n.key, "text_model.") || strings.HasPrefix(n.key, "vision_model.")
		oc = oc || strings.HasPrefix(n.key, "visual.") || strings.HasPrefix(n.key, "transformer.") ||
			n.key == "token_embedding.weight" || n.key == "positional_embedding"
	}
	switch {
	case hf && oc:
		return nil, "", fmt.Errorf("tensor names mix the HF layout (text_model.*, vision_model.*) with the OpenCLIP one (visual.*, transformer.*)")
	case hf:
		s, err := mapHF(f, names)
		return s, LayoutHF, err
	case oc:
		return mapOpenCLIP(f, names), LayoutOpenCLIP, nil
	}
	var sample []string
	for _, n := range names[:min(len(names), 8)] {
		sample = append(sample, n.file)
	}
	return nil, "", fmt.Errorf("unknown architecture: tensor names are neither OpenCLIP/OpenAI CLIP (visual.*, transformer.*, token_embedding.weight) "+
		"nor Hugging Face CLIPModel (text_model.*, vision_model.*); the file holds %d tensors, first: %s", len(names), strings.Join(sample, ", "))
}

// keyName pairs a tensor's name in the file with the name used for layout
// matching (without a DistributedDataParallel "module." prefix).
type keyName struct{ file, key string }

// stripModulePrefix removes the "module." prefix that a state dict saved
// from a DistributedDataParallel wrapper carries, if every key has it.
func stripModulePrefix(files []string) []keyName {
	all := len(files) > 0
	for _, n := range files {
		all = all && strings.HasPrefix(n, "module.")
	}
	out := make([]keyName, len(files))
	for i, n := range files {
		out[i] = keyName{n, n}
		if all {
			out[i].key = strings.TrimPrefix(n, "module.")
		}
	}
	return out
}

// derivedBuffer reports keys that hold no learned state and are rebuilt by
// the model: BatchNorm step counters, HF position ids, attention masks, and
// the scalars OpenAI's JIT archives keep beside the weights.
func derivedBuffer(key string) bool {
	switch key {
	case "input_resolution", "context_length", "vocab_size", "attn_mask":
		return true
	}
	return strings.HasSuffix(key, ".num_batches_tracked") || strings.HasSuffix(key, "position_ids") ||
		strings.HasSuffix(key, ".attn_mask")
}

// mapOpenCLIP maps an OpenCLIP/OpenAI state dict: names are already right.
func mapOpenCLIP(f *safetensors.File, names []keyName) sources {
	s := sources{}
	for _, n := range names {
		if derivedBuffer(n.key) {
			continue
		}
		_, shape, _ := f.Info(n.file)
		s[n.key] = source{parts: []string{n.file}, shape: shape}
	}
	return s
}

// hfFixed maps the HF names outside the encoder layers.
var hfFixed = map[string]struct {
	name      string
	transpose bool
}{
	"logit_scale": {"logit_scale", false},
	"text_model.embeddings.token_embedding.weight":      {"token_embedding.weight", false},
	"text_model.embeddings.position_embedding.weight":   {"positional_embedding", false},
	"text_model.final_layer_norm.weight":                {"ln_final.weight", false},
	"text_model.final_layer_norm.bias":                  {"ln_final.bias", false},
	"text_projection.weight":                            {"text_projection", true},
	"vision_model.embeddings.class_embedding":           {"visual.class_embedding", false},
	"vision_model.embeddings.patch_embedding.weight":    {"visual.conv1.weight", false},
	"vision_model.embeddings.position_embedding.weight": {"visual.positional_embedding", false},
	"vision_model.pre_layrnorm.weight":                  {"visual.ln_pre.weight", false}, // sic: HF's spelling
	"vision_model.pre_layrnorm.bias":                    {"visual.ln_pre.bias", false},
	"vision_model.post_layernorm.weight":                {"visual.ln_post.weight", false},
	"vision_model.post_layernorm.bias":                  {"visual.ln_post.bias", false},
	"visual_projection.weight":                          {"visual.proj", true},
}

// hfTowers maps the encoder-layer prefixes of the two towers.
var hfTowers = []struct{ hf, openclip string }{
	{"text_model.encoder.layers.", "transformer.resblocks."},
	{"vision_model.encoder.layers.", "visual.transformer.resblocks."},
}

// hfBlock maps the names inside one encoder layer, except q/k/v.
var hfBlock = map[string]string{
	"self_attn.out_proj.weight": "attn.out_proj.weight",
	"self_attn.out_proj.bias":   "attn.out_proj.bias",
	"layer_norm1.weight":        "ln_1.weight",
	"layer_norm1.bias":          "ln_1.bias",
	"layer_norm2.weight":        "ln_2.weight",
	"layer_norm2.bias":          "ln_2.bias",
	"mlp.fc1.weight":            "mlp.c_fc.weight",
	"mlp.fc1.bias":              "mlp.c_fc.bias",
	"mlp.fc2.weight":            "mlp.c_proj.weight",
	"mlp.fc2.bias":              "mlp.c_proj.bias",
}

// hfQKV are HF's separate attention projections, in the order OpenCLIP's
// in_proj_weight stacks them.
var hfQKV = []string{"q_proj", "k_proj", "v_proj"}

// hfTarget is where one HF tensor goes: an OpenCLIP name, which third of
// in_proj it fills (-1: all of the tensor), and whether it is transposed.
type hfTarget struct {
	name      string
	part      int
	transpose bool
}

// hfToOpenCLIP maps one HF key; ok is false for a key this layout lacks.
func hfToOpenCLIP(key string) (t hfTarget, ok bool) {
	if m, ok := hfFixed[key]; ok {
		return hfTarget{m.name, -1, m.transpose}, true
	}
	for _, tower := range hfTowers {
		rest, found := strings.CutPrefix(key, tower.hf)
		if !found {
			continue
		}
		idx, leaf, found := strings.Cut(rest, ".")
		if !found || !isIndex(idx) {
			return hfTarget{}, false
		}
		block := tower.openclip + idx + "."
		if oc, ok := hfBlock[leaf]; ok {
			return hfTarget{block + oc, -1, false}, true
		}
		for part, proj := range hfQKV {
			for _, kind := range []string{"weight", "bias"} {
				if leaf == "self_attn."+proj+"."+kind {
					return hfTarget{block + "attn.in_proj_" + kind, part, false}, true
				}
			}
		}
	}
	return hfTarget{}, false
}

// isIndex reports whether s is a layer index as PyTorch writes it.
func isIndex(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// mapHF maps an HF CLIPModel state dict to OpenCLIP names: q, k and v are
// stacked into in_proj, the two projections are transposed, everything else
// is renamed.
func mapHF(f *safetensors.File, names []keyName) (sources, error) {
	s := sources{}
	qkv := map[string]*[3]string{} // in_proj name -> HF keys of q, k, v
	var unknown []string
	for _, n := range names {
		if derivedBuffer(n.key) {
			continue
		}
		t, ok := hfToOpenCLIP(n.key)
		if !ok {
			unknown = append(unknown, n.file)
			continue
		}
		_, shape, _ := f.Info(n.file)
		if t.part < 0 {
			src := source{parts: []string{n.file}, shape: shape, transpose: t.transpose}
			if t.transpose {
				if len(shape) != 2 {
					return nil, fmt.Errorf("tensor %s: shape %v, want a 2-D matrix", n.file, shape)
				}
				src.shape = []int{shape[1], shape[0]}
			}
			s[t.name] = src
			continue
		}
		if qkv[t.name] == nil {
			qkv[t.name] = new([3]string)
		}
		qkv[t.name][t.part] = n.file
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("tensors not part of an HF CLIPModel: %s", listSome(unknown))
	}
	for name, keys := range qkv {
		src, err := stackQKV(f, keys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		s[name] = src
	}
	return s, nil
}

// stackQKV checks that q, k and v are all present with one shape and
// returns the source stacking them along the first axis.
func stackQKV(f *safetensors.File, keys *[3]string) (source, error) {
	var present string
	for _, k := range keys {
		if k != "" {
			present = k
		}
	}
	var shape []int
	for i, k := range keys {
		if k == "" {
			missing := strings.Replace(present, hfQKV[slices.Index(keys[:], present)], hfQKV[i], 1)
			return source{}, fmt.Errorf("missing tensor %s (q, k and v are stacked into one)", missing)
		}
		_, sh, _ := f.Info(k)
		if i == 0 {
			shape = sh
		} else if !slices.Equal(sh, shape) {
			return source{}, fmt.Errorf("tensor %s has shape %v but %s has %v", k, sh, keys[0], shape)
		}
	}
	if len(shape) == 0 {
		return source{}, fmt.Errorf("tensor %s is a scalar, want a vector or matrix", keys[0])
	}
	out := slices.Clone(shape)
	out[0] *= 3
	return source{parts: keys[:], shape: out}, nil
}

// listSome formats up to ten names, sorted, and how many more there are.
func listSome(names []string) string {
	names = slices.Clone(names)
	sort.Strings(names)
	if len(names) <= 10 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:10], ", "), len(names)-10)
}
