#!/usr/bin/python3
"""PyTorch peer for clip's CPU benchmarks.

Builds a CLIP of the architecture in an OpenCLIP model config (the same
configs/arch/*.json clip reads) with random weights, in the layout of OpenAI's
clip/model.py (pre-LN residual blocks on nn.MultiheadAttention, QuickGELU,
ModifiedResNet with attention pooling), and times one tower or a training
step the way `clip bench` does. Prints one JSON object:

  {"what":..., "batch":..., "items_per_s":..., "ms_per_item":..., "gflops":..., "peak_rss_mb":...}

Run it with Debian's python3-torch and OpenBLAS-openmp selected, as
scripts/bench-cpu.sh does:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 \
      /usr/bin/python3 scripts/bench_torch_cpu.py --arch configs/arch/ViT-B-32.json --what image --batch 32
"""
import argparse
import json
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, act, causal_len=None):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), act(), nn.Linear(4 * width, width))
        self.causal_len = causal_len

    def forward(self, x):  # x: [T, B, C] as OpenAI's model
        mask = None
        if self.causal_len is not None:
            t = x.shape[0]
            mask = torch.full((t, t), float("-inf")).triu_(1)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class ViT(nn.Module):
    def __init__(self, v, embed, act):
        super().__init__()
        w, p, r = v["width"], v["patch_size"], v["image_size"]
        self.conv1 = nn.Conv2d(3, w, p, p, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(w) * w ** -0.5)
        self.positional_embedding = nn.Parameter(torch.randn((r // p) ** 2 + 1, w) * w ** -0.5)
        self.ln_pre = nn.LayerNorm(w)
        self.blocks = nn.Sequential(*[Block(w, w // v.get("head_width", 64), act) for _ in range(v["layers"])])
        self.ln_post = nn.LayerNorm(w)
        self.proj = nn.Parameter(torch.randn(w, embed) * w ** -0.5)

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], 1) + self.positional_embedding
        x = self.blocks(self.ln_pre(x).permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0]) @ self.proj


class Bottleneck(nn.Module):
    def __init__(self, inp, planes, stride):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(inp, planes, 1, bias=False), nn.BatchNorm2d(planes)
        self.c2, self.b2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False), nn.BatchNorm2d(planes)
        self.pool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.c3, self.b3 = nn.Conv2d(planes, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4)
        self.down = None
        if stride > 1 or inp != planes * 4:
            self.down = nn.Sequential(nn.AvgPool2d(stride), nn.Conv2d(inp, planes * 4, 1, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = F.relu(self.b1(self.c1(x)))
        out = self.pool(F.relu(self.b2(self.c2(out))))
        out = self.b3(self.c3(out))
        return F.relu(out + (self.down(x) if self.down is not None else x))


class ModifiedResNet(nn.Module):
    def __init__(self, v, embed):
        super().__init__()
        w, r = v["width"], v["image_size"]
        self.stem = nn.Sequential(
            nn.Conv2d(3, w // 2, 3, 2, 1, bias=False), nn.BatchNorm2d(w // 2), nn.ReLU(),
            nn.Conv2d(w // 2, w // 2, 3, 1, 1, bias=False), nn.BatchNorm2d(w // 2), nn.ReLU(),
            nn.Conv2d(w // 2, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(), nn.AvgPool2d(2))
        layers, inp = [], w
        for i, n in enumerate(v["layers"]):
            planes = w << i
            for j in range(n):
                layers.append(Bottleneck(inp, planes, 2 if (j == 0 and i > 0) else 1))
                inp = planes * 4
        self.layers = nn.Sequential(*layers)
        d = w * 32
        self.pos = nn.Parameter(torch.randn((r // 32) ** 2 + 1, d) / d ** 0.5)
        self.attn = nn.MultiheadAttention(d, d // v.get("head_width", 64))
        self.c_proj = nn.Linear(d, embed)

    def forward(self, x):
        x = self.layers(self.stem(x)).flatten(2).permute(2, 0, 1)
        x = torch.cat([x.mean(0, keepdim=True), x]) + self.pos[:, None, :]
        return self.c_proj(self.attn(x[:1], x, x, need_weights=False)[0][0])


class Text(nn.Module):
    def __init__(self, t, embed, act):
        super().__init__()
        w = t["width"]
        self.token_embedding = nn.Embedding(t.get("vocab_size", 49408), w)
        self.positional_embedding = nn.Parameter(torch.randn(t.get("context_length", 77), w) * 0.01)
        self.blocks = nn.Sequential(*[Block(w, t["heads"], act, causal_len=True) for _ in range(t["layers"])])
        self.ln_final = nn.LayerNorm(w)
        self.text_projection = nn.Parameter(torch.randn(w, embed) * w ** -0.5)

    def forward(self, ids):
        x = self.token_embedding(ids) + self.positional_embedding[: ids.shape[1]]
        x = self.ln_final(self.blocks(x.permute(1, 0, 2)).permute(1, 0, 2))
        return x[torch.arange(ids.shape[0]), ids.argmax(-1)] @ self.text_projection


class CLIP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        act = QuickGELU if cfg.get("quick_gelu") else nn.GELU
        v, e = cfg["vision_cfg"], cfg["embed_dim"]
        self.visual = ModifiedResNet(v, e) if isinstance(v["layers"], list) else ViT(v, e, act)
        self.text = Text(cfg["text_cfg"], e, act)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))


def matmul_gflop(cfg, what, batch, text_len):
    """Forward GFLOP of the matrix products of one batch (2 x MACs)."""
    def tower(width, layers, tokens):
        return layers * (24 * tokens * width * width + 4 * tokens * tokens * width)
    v, t, e = cfg["vision_cfg"], cfg["text_cfg"], cfg["embed_dim"]
    if what == "text":
        return batch * (tower(t["width"], t["layers"], text_len) + 2 * t["width"] * e) / 1e9
    if isinstance(v["layers"], list):
        return float("nan")  # conv FLOPs are not counted for the ResNet
    tokens = (v["image_size"] // v["patch_size"]) ** 2 + 1
    patch = 2 * (tokens - 1) * 3 * v["patch_size"] ** 2 * v["width"]
    return batch * (patch + tower(v["width"], v["layers"], tokens) + 2 * v["width"] * e) / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", required=True, help="OpenCLIP model config JSON")
    ap.add_argument("--what", choices=["image", "text", "train"], default="image")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--text-len", type=int, default=77, help="tokens per text up to and including the end token")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = json.load(open(args.arch))
    model = CLIP(cfg)
    r = cfg["vision_cfg"]["image_size"]
    ctx = cfg["text_cfg"].get("context_length", 77)
    pixels = torch.randn(args.batch, 3, r, r)
    ids = torch.randint(1, 49406, (args.batch, ctx))
    ids[:, 0] = 49406
    ids[:, args.text_len - 1] = 49407  # OpenAI pads to 77 and runs every position
    ids[:, args.text_len:] = 0

    if args.what == "train":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
        labels = torch.arange(args.batch)

        def step():
            img = F.normalize(model.visual(pixels), dim=-1)
            txt = F.normalize(model.text(ids), dim=-1)
            logits = model.logit_scale.exp() * img @ txt.t()
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
    else:
        model.eval()
        fn = model.visual if args.what == "image" else model.text
        inp = pixels if args.what == "image" else ids

        def step():
            with torch.inference_mode():
                fn(inp)

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    if args.what == "train":
        gf = 3 * (matmul_gflop(cfg, "image", args.batch, args.text_len) + matmul_gflop(cfg, "text", args.batch, ctx))
    else:
        gf = matmul_gflop(cfg, args.what, args.batch, ctx)
    print(json.dumps({
        "impl": "pytorch", "what": args.what, "batch": args.batch, "threads": torch.get_num_threads(),
        "items_per_s": args.batch / med, "ms_per_item": 1000 * med / args.batch,
        "gflops": gf / med, "median_s": med, "min_s": min(times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
