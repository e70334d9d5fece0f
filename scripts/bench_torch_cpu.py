#!/usr/bin/python3
"""PyTorch (and numpy) peer for clip's CPU benchmarks.

Builds a CLIP of the architecture in an OpenCLIP model config (the same
configs/arch/*.json clip reads) with random weights, in the layout of OpenAI's
clip/model.py (pre-LN residual blocks on nn.MultiheadAttention, QuickGELU,
ModifiedResNet with attention pooling), and times one tower or a training
step the way `clip bench` does; `--what gemm` times numpy's x @ W.T instead
(OpenBLAS through numpy, no torch). Prints one JSON object, with the fields
of `clip bench`:

  {"impl":..., "what":..., "batch":..., "threads":..., "items_per_s":...,
   "ms_per_item":..., "gflops":..., "median_s":..., "min_s":..., "peak_rss_mb":...}

`--info` prints the versions and the BLAS libraries this process maps instead.

Run it with Debian's python3-torch and OpenBLAS-openmp selected, as
scripts/bench-cpu.sh does:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OMP_NUM_THREADS=2 \
      /usr/bin/python3 scripts/bench_torch_cpu.py --arch configs/arch/ViT-B-32.json --what image --batch 32
"""
import argparse
import json
import math
import os
import resource
import statistics
import time


def matmul_gflop(cfg, what, batch, positions):
    """Forward GFLOP of the matrix products of one batch (2 x MACs).

    The same formulas as clip's internal/bench (flops.go); change both
    together. Text counts `positions` token positions per text: PyTorch
    always computes the whole context (77), clip stops at the end token.
    """
    def tower(width, layers, tokens):
        # q, k, v, out projections and MLP (24 t w^2); QK^T and AV (4 t^2 w),
        # causal attention counted in full.
        return layers * (24 * tokens * width * width + 4 * tokens * tokens * width)

    v, t, e = cfg["vision_cfg"], cfg["text_cfg"], cfg["embed_dim"]
    if what == "text":
        return batch * (tower(t["width"], t["layers"], positions) + 2 * t["width"] * e) / 1e9
    if isinstance(v["layers"], list):
        return batch * resnet_flop(v, e) / 1e9
    tokens = (v["image_size"] // v["patch_size"]) ** 2 + 1
    patch = 2 * (tokens - 1) * 3 * v["patch_size"] ** 2 * v["width"]
    return batch * (patch + tower(v["width"], v["layers"], tokens) + 2 * v["width"] * e) / 1e9


def resnet_flop(v, e):
    """One image through the ModifiedResNet: every convolution and the
    attention pool (single mean-token query, k/v over all tokens, c_proj)."""
    def conv(ci, co, k, s):
        return 2 * s * s * co * ci * k * k

    w, s = v["width"], v["image_size"] // 2
    f = conv(3, w // 2, 3, s) + conv(w // 2, w // 2, 3, s) + conv(w // 2, w, 3, s)
    s //= 2
    inp = w
    for i, n in enumerate(v["layers"]):
        planes = w << i
        for j in range(n):
            stride = 2 if (j == 0 and i > 0) else 1
            f += conv(inp, planes, 1, s) + conv(planes, planes, 3, s)
            s //= stride
            f += conv(planes, 4 * planes, 1, s)
            if stride > 1 or inp != 4 * planes:
                f += conv(inp, 4 * planes, 1, s)
            inp = 4 * planes
    d, tokens = 32 * w, s * s + 1
    return f + 2 * d * d + 4 * tokens * d * d + 4 * tokens * d + 2 * d * e


def build_model(cfg):
    """OpenAI's CLIP towers for cfg, random weights (imports torch)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class QuickGELU(nn.Module):
        def forward(self, x):
            return x * torch.sigmoid(1.702 * x)

    class Block(nn.Module):
        def __init__(self, width, heads, act, causal=False):
            super().__init__()
            self.ln_1 = nn.LayerNorm(width)
            self.attn = nn.MultiheadAttention(width, heads)
            self.ln_2 = nn.LayerNorm(width)
            self.mlp = nn.Sequential(nn.Linear(width, 4 * width), act(), nn.Linear(4 * width, width))
            self.causal = causal

        def forward(self, x):  # x: [T, B, C] as OpenAI's model
            mask = None
            if self.causal:
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

    class AttentionPool2d(nn.Module):
        """OpenAI's: one query (the mean token), c_proj as the output projection."""
        def __init__(self, tokens, d, heads, out):
            super().__init__()
            self.positional_embedding = nn.Parameter(torch.randn(tokens, d) / d ** 0.5)
            self.k_proj, self.q_proj, self.v_proj = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
            self.c_proj = nn.Linear(d, out)
            self.heads = heads

        def forward(self, x):
            x = x.flatten(2).permute(2, 0, 1)
            x = torch.cat([x.mean(0, keepdim=True), x]) + self.positional_embedding[:, None, :]
            y, _ = F.multi_head_attention_forward(
                query=x[:1], key=x, value=x, embed_dim_to_check=x.shape[-1], num_heads=self.heads,
                q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight, v_proj_weight=self.v_proj.weight,
                in_proj_weight=None, in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
                bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
                out_proj_weight=self.c_proj.weight, out_proj_bias=self.c_proj.bias,
                use_separate_proj_weight=True, training=False, need_weights=False)
            return y.squeeze(0)

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
            self.attnpool = AttentionPool2d((r // 32) ** 2 + 1, d, d // v.get("head_width", 64), embed)

        def forward(self, x):
            return self.attnpool(self.layers(self.stem(x)))

    class Text(nn.Module):
        def __init__(self, t, embed, act):
            super().__init__()
            w = t["width"]
            self.token_embedding = nn.Embedding(t.get("vocab_size", 49408), w)
            self.positional_embedding = nn.Parameter(torch.randn(t.get("context_length", 77), w) * 0.01)
            self.blocks = nn.Sequential(*[Block(w, t["heads"], act, causal=True) for _ in range(t["layers"])])
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

    return CLIP(cfg)


def blas_libraries():
    """The BLAS/LAPACK/OpenMP libraries this process has mapped."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            name = os.path.basename(path)
            if any(k in name for k in ("blas", "lapack", "gomp", "dnnl", "mkl")):
                libs.add(path)
    return sorted(libs)


def openblas_core():
    """The kernel family OpenBLAS picked at load time (e.g. Haswell, SkylakeX, Zen)."""
    import ctypes
    for path in blas_libraries():
        if "openblas" in os.path.basename(path):
            try:
                fn = ctypes.CDLL(path).openblas_get_corename
                fn.restype = ctypes.c_char_p
                return fn().decode()
            except (OSError, AttributeError):
                pass
    return None


def info():
    import numpy
    import torch
    return {
        "python": "%d.%d.%d" % tuple(__import__("sys").version_info[:3]),
        "torch": torch.__version__, "numpy": numpy.__version__,
        "torch_threads": torch.get_num_threads(),
        "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS",
                                               "OPENBLAS_NUM_THREADS", "LD_LIBRARY_PATH")},
        "libs": blas_libraries(),
        "openblas_core": openblas_core(),
    }


def timed(step, warmup, iters):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def bench_gemm(args):
    """numpy out[M,N] = x[M,K] @ W[N,K].T, float32, into a preallocated out."""
    import numpy as np
    rng = np.random.default_rng(1)
    x = rng.standard_normal((args.m, args.k), dtype=np.float32)
    w = rng.standard_normal((args.n, args.k), dtype=np.float32)
    out = np.empty((args.m, args.n), dtype=np.float32)
    times = timed(lambda: np.matmul(x, w.T, out=out), args.warmup, args.iters)
    return times, 1, 2 * args.m * args.n * args.k / 1e9, {"m": args.m, "k": args.k, "n": args.n}


def bench_model(args):
    import torch
    import torch.nn.functional as F
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(args.arch) as f:
        cfg = json.load(f)
    model = build_model(cfg)
    r = cfg["vision_cfg"]["image_size"]
    tc = cfg["text_cfg"]
    ctx, vocab = tc.get("context_length", 77), tc.get("vocab_size", 49408)
    if not 2 <= args.text_len <= ctx:
        raise SystemExit("--text-len %d: want 2 to the context length %d" % (args.text_len, ctx))
    pixels = torch.randn(args.batch, 3, r, r)
    # clip.tokenize's layout, as `clip bench`: start token, random ids below
    # it, end token (the largest id, where pooling looks) at text_len-1, zeros.
    sot, eot = vocab - 2, vocab - 1
    ids = torch.randint(1, sot, (args.batch, ctx))
    ids[:, 0] = sot
    ids[:, args.text_len - 1] = eot
    ids[:, args.text_len:] = 0

    if args.what == "train":
        # OpenCLIP's AdamW settings, as clip's trainer.DefaultAdamW (one
        # weight-decay group: the cost is the same).
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.98), eps=1e-6, weight_decay=0.2)
        labels = torch.arange(args.batch)

        def step():
            img = F.normalize(model.visual(pixels), dim=-1)
            txt = F.normalize(model.text(ids), dim=-1)
            logits = model.logit_scale.exp() * img @ txt.t()
            loss = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
        # 3 x the forward FLOPs (backward = 2 x forward), the loss's
        # batch x batch products not counted: clip's bench.TrainFLOP.
        gf = 3 * (matmul_gflop(cfg, "image", args.batch, 0) + matmul_gflop(cfg, "text", args.batch, ctx))
    else:
        model.eval()
        fn = model.visual if args.what == "image" else model.text
        inp = pixels if args.what == "image" else ids

        def step():
            with torch.inference_mode():
                fn(inp)
        # OpenAI pads every text to the context length and runs every
        # position, whatever text_len is.
        gf = matmul_gflop(cfg, args.what, args.batch, ctx)
    extra = {"model": args.arch}
    if args.what == "text":
        extra["text_len"] = args.text_len
        extra["positions"] = ctx
    return timed(step, args.warmup, args.iters), args.batch, gf, extra


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", help="OpenCLIP model config JSON (image, text, train)")
    ap.add_argument("--what", choices=["image", "text", "train", "gemm"], default="image")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="0: the library default")
    ap.add_argument("--text-len", type=int, default=77, help="tokens per text up to and including the end token")
    ap.add_argument("--m", type=int, default=1600)
    ap.add_argument("--k", type=int, default=768)
    ap.add_argument("--n", type=int, default=2304)
    ap.add_argument("--info", action="store_true", help="print versions and mapped BLAS libraries, and exit")
    args = ap.parse_args()
    if args.threads > 0:
        # OpenMP and OpenBLAS read these once, when they are loaded.
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(k, str(args.threads))
    if args.info:
        print(json.dumps(info()))
        return
    if args.what == "gemm":
        times, items, gf, extra = bench_gemm(args)
        impl = "numpy"
    else:
        if not args.arch:
            ap.error("--arch is required for --what " + args.what)
        times, items, gf, extra = bench_model(args)
        impl = "pytorch"
    if args.what == "gemm":
        threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    else:
        import torch
        threads = torch.get_num_threads()
    med = statistics.median(times)
    print(json.dumps(dict({
        "impl": impl, "what": args.what, "batch": items, "threads": threads,
        "items_per_s": items / med, "ms_per_item": 1000 * med / items,
        "gflops": gf / med, "median_s": med, "min_s": min(times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "iters": args.iters, "warmup": args.warmup,
    }, **extra)))


if __name__ == "__main__":
    main()
