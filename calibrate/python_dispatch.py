#!/usr/bin/env python3
"""Measures the host cost of PyTorch ops called from Python, for `fwtax calibrate --merge`.

Run it with the python3 and torch you use:
    python3 calibrate/python_dispatch.py [--device cpu|cuda] [--quick] > python.json
    fwtax calibrate --target cpu --merge python.json --out profile.json

Each op runs on tiny tensors (so the kernel itself costs next to nothing) in repeated epochs after a
warm-up; the JSON holds the median per op and its spread, the op class fwtax files it under, and the
cost of one bare nn.Module call.

Where transformers is importable, it also times a real model's forward, its `models` section: a
12-layer BERT of hidden size 64 (transformers' BertModel, random weights from a config, nothing
downloaded) on input ids of 1 x 8 tokens, forward after forward. Its kernels cost next to nothing, so
a call takes the host's time for a real model's Python and dispatch: the module calls, transformers'
own code around the ops, its masks and outputs, which a hot loop of one op or one nn.Linear does not
exercise. `fwtax calibrate --target host --merge` fits the host's Python speed to it. --no-models
skips it.

With --sweeps (CUDA), it also times the kernels that models run through the framework itself, where
the library picks them by shape: nn.Linear's GEMMs (x W^T + b) in fp32 and fp16 over transformer
shapes, fused attention (SDPA), layer norm, cuDNN's convolutions and batch norms over ResNet's layers, and the
depthwise convolutions of MobileNet-v2 and EfficientNet-B0. Each is
the CUPTI duration of the op's main kernel (torch.profiler; the longest kernel of each call, so the
split-K memsets and reductions and cuDNN's layout transforms, which fwtax models as kernels of their
own, stay out), median over 20 calls with weights rotated through enough buffers to come from DRAM.
A last sweep times ATen's generic (non-vectorized) elementwise kernel: the copy that makes a
transposed [B, S, H, D] tensor contiguous and a mask add broadcast over heads.
`fwtax calibrate --target cuda --merge` turns them into the profile's linear and convolution
efficiencies, its attention, norm and batch-norm time factors and its strided_elements_per_s. --sweeps-only skips the dispatch probe.
"""
import argparse
import json
import platform
import statistics
import sys
import time

# This script's folder holds calibrate/torch/ (the libtorch probes' sources). An installed torch wins
# over it, but where none is installed Python imports that folder as an empty namespace package: say
# which Python lacks torch instead of failing on its first attribute.
try:
    import torch
    torch.device  # noqa: B018 (the namespace package has no attributes)
except (ImportError, AttributeError):
    sys.stderr.write("python_dispatch.py: PyTorch is not importable from " + sys.executable +
                     ": run it with a python3 that has torch (Debian's /usr/bin/python3, or your venv's)\n")
    sys.exit(2)


def main_kernel_s(call, calls=20, layout=None):
    """Median CUPTI duration of the longest kernel of each of `calls` calls of call(i). With a list as
    `layout`, also appends the mean time per call of cuDNN's layout transforms (NCHW <-> NHWC)."""
    from torch.profiler import ProfilerActivity, profile
    for i in range(3):
        call(i)
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for i in range(calls):
            call(i)
        torch.cuda.synchronize()
    # Kernels fwtax models on their own: cuBLAS's split-K helpers, cuDNN's layout transforms, memsets.
    helpers = ("Memset", "memset", "splitKreduce", "scal_kernel", "epilogue", "nchwToNhwc", "nhwcToNchw")
    kernels = [e for e in prof.events() if str(getattr(e, "device_type", "")).endswith("CUDA")]
    d = sorted((e.time_range.elapsed_us() * 1e-6 for e in kernels if not any(h in e.name for h in helpers)),
               reverse=True)[:calls]
    if layout is not None:
        layout.append(sum(e.time_range.elapsed_us() * 1e-6 for e in kernels
                          if "nchwToNhwc" in e.name or "nhwcToNchw" in e.name) / calls)
    return statistics.median(d) if d else None


def kernel_sweeps():
    F = torch.nn.functional
    dev = torch.device("cuda")
    out = {"linear": [], "attention": [], "layer_norm": [], "conv": [], "batch_norm": [], "strided": []}
    dtypes = {"fp32": torch.float32, "fp16": torch.float16}
    for dname, dt in dtypes.items():
        es = torch.empty(0, dtype=dt).element_size()
        for (n, k) in ((768, 768), (3072, 768), (768, 3072), (1024, 1024), (4096, 1024), (1024, 4096)):
            nbuf = max(1, min(20, int(200e6 // (n * k * es))))
            ws = [torch.randn(n, k, device=dev, dtype=dt) for _ in range(nbuf)]
            b = torch.randn(n, device=dev, dtype=dt)
            for m in (1, 8, 32, 128, 512, 2048, 8192):
                x = torch.randn(m, k, device=dev, dtype=dt)
                t = main_kernel_s(lambda i: F.linear(x, ws[i % nbuf], b))
                out["linear"].append({"dtype": dname, "m": m, "n": n, "k": k, "flops": 2.0 * m * n * k, "kernel_s": t})
            del ws
        for (bs, h, sq, d) in ((1, 12, 128, 64), (8, 12, 128, 64), (32, 12, 128, 64), (128, 12, 128, 64),
                               (1, 12, 512, 64), (8, 16, 512, 64)):
            nq = max(1, min(8, int(200e6 // (bs * h * sq * d * es))))
            qs = [torch.randn(bs, h, sq, d, device=dev, dtype=dt) for _ in range(nq)]
            t = main_kernel_s(lambda i: F.scaled_dot_product_attention(qs[i % nq], qs[i % nq], qs[i % nq]))
            out["attention"].append({"dtype": dname, "batch": bs, "heads": h, "seq": sq, "head_dim": d,
                                     "flops": 4.0 * bs * h * sq * sq * d, "kernel_s": t})
        for rows in (128, 1024, 8192, 32768):
            nx = max(1, min(8, int(200e6 // (rows * 768 * es))))
            xs = [torch.randn(rows, 768, device=dev, dtype=dt) for _ in range(nx)]
            w, bb = torch.ones(768, device=dev, dtype=dt), torch.zeros(768, device=dev, dtype=dt)
            t = main_kernel_s(lambda i: F.layer_norm(xs[i % nx], (768,), w, bb))
            out["layer_norm"].append({"dtype": dname, "rows": rows, "cols": 768,
                                      "bytes": (2.0 * rows * 768 + 2 * 768) * es, "kernel_s": t})
        # Convolutions as CNNs run them (NCHW, cuDNN's choice of kernel), batch 1, 32 and 128: ResNet's
        # 3x3 and 1x1 layers, the strided 1x1 downsamples and the 7x7 stem. Past the largest batch fwtax
        # extrapolates the last step's time per row, so the last step is taken where large batches run.
        for (cin, hw, cout, k, stride) in ((3, 224, 64, 7, 2), (64, 56, 64, 1, 1), (64, 56, 64, 3, 1),
                                           (64, 56, 256, 1, 1), (256, 56, 64, 1, 1), (128, 28, 128, 3, 1),
                                           (128, 28, 512, 1, 1), (512, 28, 128, 1, 1), (256, 14, 256, 3, 1),
                                           (256, 14, 1024, 1, 1), (1024, 14, 256, 1, 1), (512, 7, 512, 3, 1),
                                           (512, 7, 2048, 1, 1), (2048, 7, 512, 1, 1), (256, 56, 512, 1, 2),
                                           (1024, 14, 2048, 1, 2)):
            nw = max(1, min(8, int(100e6 // (cout * cin * k * k * es))))
            ws = [torch.randn(cout, cin, k, k, device=dev, dtype=dt) for _ in range(nw)]
            for n in (1, 32, 128):
                x = torch.randn(n, cin, hw, hw, device=dev, dtype=dt)
                lay = []
                t = main_kernel_s(lambda i: F.conv2d(x, ws[i % nw], None, stride, k // 2), layout=lay)
                oh = (hw + 2 * (k // 2) - k) // stride + 1
                out["conv"].append({"dtype": dname, "batch": n, "cin": cin, "h": hw, "cout": cout, "k": k,
                                    "stride": stride, "flops": 2.0 * n * oh * oh * cout * cin * k * k, "kernel_s": t,
                                    "layout_s": lay[0]})
            del ws
        # Depthwise convolutions as MobileNet-v2 and EfficientNet-B0 run them (ATen's own NCHW kernel; cuDNN's
        # for some half-precision shapes): channels, map, kernel, stride; batch 1 and 32.
        for (ch, hw, k, stride) in ((32, 112, 3, 1), (96, 112, 3, 2), (144, 56, 3, 1), (144, 56, 5, 2),
                                    (192, 28, 3, 1), (240, 28, 5, 1), (384, 14, 3, 1), (576, 14, 3, 2),
                                    (672, 14, 5, 1), (960, 7, 3, 1), (1152, 7, 5, 1)):
            wd = torch.randn(ch, 1, k, k, device=dev, dtype=dt)
            for n in (1, 32):
                nx = max(1, min(8, int(200e6 // (n * ch * hw * hw * es))))
                xs = [torch.randn(n, ch, hw, hw, device=dev, dtype=dt) for _ in range(nx)]
                lay = []
                t = main_kernel_s(lambda i: F.conv2d(xs[i % nx], wd, None, stride, k // 2, 1, ch), layout=lay)
                out.setdefault("depthwise", []).append({"dtype": dname, "batch": n, "channels": ch, "h": hw, "k": k,
                                                        "stride": stride, "kernel_s": t, "layout_s": lay[0]})
                del xs
        # Inference batch norm over ResNet's activations (cuDNN's kernel in fp32, ATen's in half).
        for (c, hw) in ((64, 112), (64, 56), (256, 56), (128, 28), (512, 28), (256, 14), (1024, 14), (2048, 7)):
            mean, var = torch.zeros(c, device=dev, dtype=dt), torch.ones(c, device=dev, dtype=dt)
            for n in (1, 32):
                nx = max(1, min(8, int(200e6 // (n * c * hw * hw * es))))
                xs = [torch.randn(n, c, hw, hw, device=dev, dtype=dt) for _ in range(nx)]
                t = main_kernel_s(lambda i: F.batch_norm(xs[i % nx], mean, var, var, mean, False))
                out["batch_norm"].append({"dtype": dname, "batch": n, "channels": c, "h": hw,
                                          "bytes": (2.0 * n * c * hw * hw + 4 * c) * es, "kernel_s": t})
                del xs
        # ATen's generic (non-vectorized) elementwise kernel, as attention layers run it: the copy that
        # makes a [B, S, H, D] -> [B, H, S, D] transpose contiguous, and a mask add broadcast over heads.
        for bs in (8, 32, 128):
            nx = max(1, min(8, int(200e6 // (bs * 128 * 768 * es))))
            xs = [torch.randn(bs, 128, 12, 64, device=dev, dtype=dt) for _ in range(nx)]
            t = main_kernel_s(lambda i: xs[i % nx].transpose(1, 2).contiguous())
            out["strided"].append({"dtype": dname, "op": "transpose_contiguous", "elements": bs * 128 * 768.0,
                                   "bytes": 2.0 * bs * 128 * 768 * es, "kernel_s": t})
            del xs
            ns = max(1, min(8, int(200e6 // (bs * 12 * 128 * 128 * es))))
            ss = [torch.randn(bs, 12, 128, 128, device=dev, dtype=dt) for _ in range(ns)]
            mask = torch.zeros(bs, 1, 1, 128, device=dev, dtype=dt)
            t = main_kernel_s(lambda i: ss[i % ns] + mask)
            out["strided"].append({"dtype": dname, "op": "broadcast_add", "elements": bs * 12 * 128 * 128.0,
                                   "bytes": 2.0 * bs * 12 * 128 * 128 * es, "kernel_s": t})
            del ss
    out["source"] = ("calibrate/python_dispatch.py --sweeps: CUPTI duration (torch.profiler) of the longest kernel "
                     "of each call, median over 20 calls; torch.backends.cuda.matmul.allow_tf32 = %s, "
                     "torch.backends.cudnn.allow_tf32 = %s"
                     % (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32))
    return out


def probe_bert(dev):
    """The in-model probe's model (the module docstring) on `dev`: (a call of its forward on 1 x 8 token
    ids, its transformers config), or None without transformers. validate/gpu/measure_gpu.py times the
    same forward beside its runs."""
    try:
        import transformers
    except ImportError:
        return None
    cfg = transformers.BertConfig(hidden_size=64, num_attention_heads=2, intermediate_size=256,
                                  vocab_size=1000, num_hidden_layers=12)
    model = transformers.BertModel(cfg).to(dev).eval()
    ids = torch.randint(0, 1000, (1, 8), device=dev)
    return (lambda: model(ids)), cfg


def model_probes(dev, epochs, calls):
    """The in-model probe (the module docstring): {name: entry}, or a string saying why there is none."""
    probe = probe_bert(dev)
    if probe is None:
        return "transformers is not importable"
    forward, cfg = probe
    import transformers
    config = cfg.to_dict()
    config["source"] = ("calibrate/python_dispatch.py: the transformers config of the model timed (random "
                        "weights), as config.to_dict() gives it")
    samples = []
    with torch.no_grad():
        for _ in range(max(2, calls // 5)):
            forward()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        for _ in range(epochs):
            t0 = time.perf_counter()
            for _ in range(calls):
                forward()
            if dev.type == "cuda":
                torch.cuda.synchronize()
            samples.append((time.perf_counter() - t0) / calls)
    med = statistics.median(samples)
    return {"hf_bert_h64": {"class": "model", "median_s": med,
                            "mdape": statistics.median(abs(s - med) / med for s in samples),
                            "timing": "forward after forward, no synchronization between calls (one at the end "
                                      "of each epoch): the host's time per call",
                            "batch": 1, "seq": 8, "dtype": "fp32",
                            "transformers": transformers.__version__, "config": config}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sweeps", action="store_true", help="also time linear, attention and norm kernels (CUDA)")
    ap.add_argument("--sweeps-only", action="store_true", help="only the kernel sweeps")
    ap.add_argument("--no-models", action="store_true", help="without the in-model probe (a tiny BERT's forward)")
    a = ap.parse_args()
    if (a.sweeps or a.sweeps_only) and a.device != "cuda":
        print("python_dispatch.py: --sweeps needs --device cuda", file=sys.stderr)
        return 2
    if a.device == "cuda" and not torch.cuda.is_available():
        print("python_dispatch.py: no CUDA device available to torch", file=sys.stderr)
        return 2
    dev = torch.device(a.device)
    F = torch.nn.functional
    x = torch.randn(1, 16, device=dev)
    y = torch.randn(1, 16, device=dev)
    w = torch.randn(16, 16, device=dev)
    b = torch.randn(16, device=dev)
    img = torch.randn(1, 2, 4, 4, device=dev)
    cw = torch.randn(2, 2, 3, 3, device=dev)
    q = torch.randn(1, 2, 4, 8, device=dev)
    table = torch.randn(100, 16, device=dev)
    idx = torch.randint(0, 100, (1, 4), device=dev)
    mean, var = torch.zeros(2, device=dev), torch.ones(2, device=dev)
    lin = torch.nn.Linear(16, 16).to(dev)

    def attention():
        if hasattr(F, "scaled_dot_product_attention"):
            return F.scaled_dot_product_attention(q, q, q)
        return torch.softmax(q @ q.transpose(-2, -1), -1) @ q

    class Bare(torch.nn.Module):
        def forward(self, t):
            return t

    bare = Bare()
    ops = {
        "add": ("elementwise", lambda: x + y),
        "mul_scalar": ("elementwise", lambda: x * 2.0),
        "relu": ("elementwise", lambda: torch.relu(x)),
        "gelu": ("elementwise", lambda: F.gelu(x)),
        "linear": ("linear", lambda: F.linear(x, w, b)),
        "matmul": ("matmul", lambda: x @ w),
        "layer_norm": ("layer_norm", lambda: F.layer_norm(x, (16,))),
        "softmax": ("softmax", lambda: torch.softmax(x, -1)),
        "conv2d": ("conv", lambda: F.conv2d(img, cw, padding=1)),
        "batch_norm": ("batch_norm", lambda: F.batch_norm(img, mean, var)),
        "attention": ("attention", attention),
        "embedding": ("embedding", lambda: F.embedding(idx, table)),
        "max_pool2d": ("pool", lambda: F.max_pool2d(img, 3, 2, 1)),
        "mean": ("reduction", lambda: img.mean((2, 3))),
        "transpose_contiguous": ("copy", lambda: w.t().contiguous()),
        "view_nokernel": ("view", lambda: x.view(16)),
        "empty_alloc": ("alloc", lambda: torch.empty(1, 16, device=dev)),
        "module_call": ("", lambda: bare(x)),
        "nn_linear_module": ("", lambda: lin(x)),
    }
    epochs, per_epoch = (7, 2000) if a.quick else (21, 20000)
    result = {}
    with torch.no_grad():
        for name, (cls, fn) in ([] if a.sweeps_only else ops.items()):
            for _ in range(per_epoch // 10):
                fn()
            if a.device == "cuda":
                torch.cuda.synchronize()
            samples = []
            for _ in range(epochs):
                t0 = time.perf_counter()
                for _ in range(per_epoch):
                    fn()
                samples.append((time.perf_counter() - t0) / per_epoch)
                if a.device == "cuda":
                    torch.cuda.synchronize()
            med = statistics.median(samples)
            result[name] = {"class": cls, "median_s": med,
                            "mdape": statistics.median(abs(s - med) / med for s in samples)}
    out = {"schema": "fwtax.python_dispatch/1", "device": a.device,
           "env": {"torch": torch.__version__, "python": platform.python_version(),
                   "cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads()},
           "source": "calibrate/python_dispatch.py: median over %d epochs of %d calls" % (epochs, per_epoch)}
    if not a.sweeps_only:
        out["ops"] = result
        if not a.no_models:
            models = model_probes(dev, epochs, 10 if a.quick else 50)
            if isinstance(models, dict):
                out["models"] = models
            else:
                print("python_dispatch.py: no in-model probe: " + models, file=sys.stderr)
    if a.sweeps or a.sweeps_only:
        out["env"]["gpu"] = torch.cuda.get_device_name(0)
        with torch.no_grad():
            out["sweeps"] = kernel_sweeps()
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
