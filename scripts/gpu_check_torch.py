#!/usr/bin/env python3
"""gpu_check_torch.py: the PyTorch side of scripts/gpu-check.sh.

Reads the GPU check's records (check.jsonl from the tests, bench.jsonl from
TestBench), times PyTorch on the same work on the same GPU (CUDA events,
after warm-up, medians, random data), computes the float64 reference of the
contrastive loss from the .npy files TestBench wrote, and prints ONE table:
kernel, shape, max relative error, our time, PyTorch's, the ratio
(PyTorch time / ours: above 1 we are faster), and our TFLOP/s.

PyTorch's versions of each op (the same useful work):
  gemm        F.linear (with bias) or torch.mm in bf16 (fp32 accumulation,
              bf16 output; ours writes fp32), torch.mm for both backward
              products
  attention   F.scaled_dot_product_attention on [B,H,T,64] views of
              [B,T,C] tensors, bf16 (flash) and fp32; backward through
              torch.autograd.grad
  contrastive OpenCLIP's loss: logits = s·img@txtᵀ and s·txt@imgᵀ, then
              F.cross_entropy both ways, fp32 and under bf16 autocast;
              backward to all four feature tensors
Targets (issue 6): GEMM >= 0.7x torch bf16 at the B/32 shapes, attention
fwd+bwd >= 1.0x SDPA, contrastive fwd+bwd >= 2x PyTorch at B = 32768.

Usage: gpu_check_torch.py --check check.jsonl --bench bench.jsonl [--out table.txt]
"""
import argparse
import json
import math
import os
import statistics
import sys

try:  # without PyTorch the table still comes out, with our numbers only
    import numpy as np
    import torch
    import torch.nn.functional as F

    TORCH_ERR = None if torch.cuda.is_available() else "torch.cuda.is_available() is False"
except ImportError as e:
    TORCH_ERR = str(e)

WARM, REPS = 3, 20

# Error tolerances of the benchmark results (as in the Go tests).
TOL = {"gemm": 1e-2, "cublasLt": 1e-2, "attn": 2e-2, "contrastive": 3e-2}

# Targets: (our kernel, torch label) -> minimum torch_ms / ours_ms.
TARGETS = {
    ("gemm fwd (op)", "F.linear bf16"): 0.7,
    ("gemm fwd (kernel)", "torch.mm bf16"): 0.7,
    ("gemm bwd da (op)", "torch.mm bf16"): 0.7,
    ("gemm bwd db (op)", "torch.mm bf16"): 0.7,
    ("attn fwd+bwd", "SDPA bf16"): 1.0,
    ("attn fwd+bwd", "SDPA fp32"): 1.0,
    ("contrastive fwd+bwd", "torch fp32"): 2.0,
    ("contrastive fwd+bwd", "torch bf16 autocast"): 2.0,
}


def time_cuda(fn):
    """Median milliseconds of fn over REPS runs after WARM, CUDA events."""
    for _ in range(WARM):
        fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    ms = []
    for _ in range(REPS):
        start.record()
        fn()
        end.record()
        end.synchronize()
        ms.append(start.elapsed_time(end))
    return statistics.median(ms)


def randn(*shape, dtype=None):
    x = torch.randn(*shape, device="cuda", dtype=torch.float32)
    return x if dtype is None else x.to(dtype)


def torch_gemm(spec):
    m, k, n, op = spec["M"], spec["K"], spec["N"], spec["op"]
    bf = torch.bfloat16
    a, w, b, g = randn(m, k, dtype=bf), randn(n, k, dtype=bf), randn(n, dtype=bf), randn(m, n, dtype=bf)
    if op == "linear":
        return [("F.linear bf16", time_cuda(lambda: F.linear(a, w, b)))]
    if op == "mm":
        return [("torch.mm bf16", time_cuda(lambda: torch.mm(a, w.t())))]
    if op == "mm_da":
        return [("torch.mm bf16", time_cuda(lambda: torch.mm(g, w)))]
    if op == "mm_db":
        return [("torch.mm bf16", time_cuda(lambda: torch.mm(g.t(), a)))]
    raise ValueError(op)


def torch_sdpa(spec):
    b, t, h, causal, pas = spec["B"], spec["T"], spec["H"], spec["causal"], spec["pass"]
    out = []
    dtypes = [("SDPA bf16", torch.bfloat16)] + ([("SDPA fp32", torch.float32)] if pas == "fwdbwd" else [])
    for label, dt in dtypes:
        # [B,T,H,64] storage viewed as [B,H,T,64], as a transformer block does.
        qb, kb, vb = (randn(b, t, h, 64, dtype=dt).requires_grad_(True) for _ in range(3))
        g = randn(b, t, h, 64, dtype=dt).transpose(1, 2)
        leaves = (qb, kb, vb)

        def sdpa():
            return F.scaled_dot_product_attention(qb.transpose(1, 2), kb.transpose(1, 2), vb.transpose(1, 2),
                                                  is_causal=causal)

        if pas == "fwd":
            def fwd():
                with torch.no_grad():
                    return sdpa()
            ms = time_cuda(fwd)
        elif pas == "bwd":
            o = sdpa()
            ms = time_cuda(lambda: torch.autograd.grad(o, leaves, g, retain_graph=True))
            del o
        else:
            ms = time_cuda(lambda: torch.autograd.grad(sdpa(), leaves, g))
        out.append((label, ms))
        del qb, kb, vb, g, leaves
        torch.cuda.empty_cache()
    return out


def clip_loss(img, txt, all_img, all_txt, scale, off):
    r = img.shape[0]
    labels = torch.arange(off, off + r, device=img.device)
    li = scale * img @ all_txt.t()
    lt = scale * txt @ all_img.t()
    return (F.cross_entropy(li, labels) + F.cross_entropy(lt, labels)) / 2


def torch_contrastive(spec):
    n, r, e, off, scale, pas = spec["N"], spec["R"], spec["E"], spec["off"], float(spec["scale"]), spec["pass"]
    all_img = F.normalize(randn(n, e), dim=1)
    all_txt = F.normalize(randn(n, e), dim=1)
    img = all_img[off:off + r].clone().requires_grad_(True)
    txt = all_txt[off:off + r].clone().requires_grad_(True)
    all_img.requires_grad_(True)
    all_txt.requires_grad_(True)
    leaves = (img, txt, all_img, all_txt)
    out = []
    for label, autocast in (("torch fp32", False), ("torch bf16 autocast", True)):
        def run():
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
                if pas == "fwd":
                    with torch.no_grad():
                        return clip_loss(img, txt, all_img, all_txt, scale, off)
                loss = clip_loss(img, txt, all_img, all_txt, scale, off)
            return torch.autograd.grad(loss, leaves)
        out.append((label, time_cuda(run)))
        torch.cuda.empty_cache()
    return out


def contrastive_error(spec):
    """Max relative error of our outputs (in npy_dir) against float64."""
    d = spec["npy_dir"]
    ld = lambda name: torch.from_numpy(np.load(os.path.join(d, name + ".npy"))).cuda()
    off, r = spec["off"], spec["R"]
    all_img, all_txt = ld("allImg").double(), ld("allTxt").double()
    img = all_img[off:off + r].clone().requires_grad_(True)
    txt = all_txt[off:off + r].clone().requires_grad_(True)
    all_img.requires_grad_(True)
    all_txt.requires_grad_(True)
    s = torch.tensor(float(spec["scale"]), dtype=torch.float64, device="cuda", requires_grad=True)
    loss = clip_loss(img, txt, all_img, all_txt, s, off)
    grads = torch.autograd.grad(loss, (img, txt, all_img, all_txt, s))
    ref = {"loss": loss.detach(), "dImg": grads[0], "dTxt": grads[1], "dAllImg": grads[2], "dAllTxt": grads[3],
           "dScale": grads[4]}
    worst, parts = 0.0, {}
    for name, want in ref.items():
        got = ld(name).double().reshape(want.shape)
        if not torch.isfinite(got).all():
            return math.inf, {name: math.inf}
        e = ((got - want).abs().max() / want.abs().max().clamp_min(1e-30)).item()
        parts[name] = e
        worst = max(worst, e)
    del all_img, all_txt, img, txt, grads, ref, loss
    torch.cuda.empty_cache()
    return worst, parts


def family(kernel):
    for f in TOL:
        if kernel.startswith(f):
            return f
    return kernel.split()[0]


def fmt_ms(x):
    return "-" if x is None else f"{x:.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--out")
    args = ap.parse_args()
    rows, problems = [], []
    if TORCH_ERR is None:
        torch.manual_seed(int.from_bytes(os.urandom(4), "little"))
    else:
        problems.append(f"PyTorch unavailable ({TORCH_ERR}): no PyTorch timings, no contrastive reference")

    # Checks: one row per kernel output, the worst case over its shapes.
    checks = []
    if os.path.exists(args.check):
        with open(args.check) as f:
            checks = [json.loads(line) for line in f if line.strip()]
    else:
        problems.append(f"no check records ({args.check})")
    groups = {}
    for c in checks:
        groups.setdefault(c["kernel"], []).append(c)
    for kernel, cs in groups.items():
        worst = max(cs, key=lambda c: (not c["pass"], c["max_rel"]))
        ok = all(c["pass"] for c in cs)
        if not ok:
            problems.append(f"check {kernel} {worst['shape']}: max rel {worst['max_rel']:.3g} > {worst['tol']}")
        rows.append([f"check: {kernel}", f"{len(cs)} shapes, worst {worst['shape']}", f"{worst['max_rel']:.2e}",
                     "-", "-", "-", "-", "-", "ok" if ok else "FAIL"])

    # Benchmarks.
    bench = []
    if os.path.exists(args.bench):
        with open(args.bench) as f:
            bench = [json.loads(line) for line in f if line.strip()]
    else:
        problems.append(f"no benchmark records ({args.bench})")
    for b in bench:
        spec = b["torch"]
        op = spec["op"]
        try:
            if TORCH_ERR is not None:
                raise RuntimeError("no PyTorch")
            if op in ("linear", "mm", "mm_da", "mm_db"):
                timings = torch_gemm(spec)
            elif op == "sdpa":
                timings = torch_sdpa(spec)
            elif op == "contrastive":
                timings = torch_contrastive(spec)
            else:
                raise ValueError(f"unknown op {op}")
        except Exception as e:  # report and go on: one table at the end
            if TORCH_ERR is None:
                problems.append(f"torch {b['kernel']} {b['shape']}: {e}")
            timings = [("-", None)]
        err = b.get("max_rel")
        if err is None and "npy_dir" in spec and TORCH_ERR is None:
            try:
                err, parts = contrastive_error(spec)
                print(f"contrastive error by output {b['shape']}: " +
                      ", ".join(f"{k} {v:.2e}" for k, v in parts.items()), file=sys.stderr)
            except Exception as e:
                problems.append(f"reference {b['kernel']} {b['shape']}: {e}")
        fam = family(b["kernel"])
        status = "ok"
        if err is not None and not (err <= TOL.get(fam, 3e-2)):
            status = "FAIL"
            problems.append(f"bench {b['kernel']} {b['shape']}: max rel {err:.3g} > {TOL.get(fam)}")
        tflops = b["flop"] / (b["ours_ms"] * 1e-3) / 1e12
        for label, tms in timings:
            ratio = None if tms is None else tms / b["ours_ms"]
            st = status
            target = TARGETS.get((b["kernel"], label))
            if target is not None and ratio is not None and status == "ok":
                st = f"{'met' if ratio >= target else 'MISSED'} >={target}x"
            rows.append([b["kernel"], b["shape"], "-" if err is None else f"{err:.2e}", fmt_ms(b["ours_ms"]), label,
                         fmt_ms(tms), "-" if ratio is None else f"{ratio:.2f}", f"{tflops:.1f}", st])

    head = ["kernel", "shape", "max rel err", "ours ms", "PyTorch", "torch ms", "torch/ours", "our TFLOP/s", "status"]
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    gpu = "unknown (no PyTorch)" if TORCH_ERR else f"{torch.cuda.get_device_name()}, torch {torch.__version__}, CUDA {torch.version.cuda}"
    lines = [f"GPU: {gpu}",
             "  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.append("torch/ours > 1: ours faster. TFLOP/s counts useful work (attention bwd 2.5x fwd; contrastive "
                 "fwd+bwd = 6 products of R·N·E, ours recomputes the logits twice more).")
    lines += [f"PROBLEM: {p}" for p in problems]
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out + ".tmp", "w") as f:
            f.write(text)
        os.replace(args.out + ".tmp", args.out)
    sys.stdout.write(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
