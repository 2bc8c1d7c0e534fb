#!/usr/bin/env python3
"""Kineto traces of small models' eager forwards on this machine's CPU, with the unprofiled latency
of the same configuration beside each, for replaying CPU traces on a CPU device profile
(`fwtax simulate --trace FILE --device CPU_PROFILE`).

Needs a PyTorch 2.x whose profiler writes Kineto traces on CPU (PyPI's; Debian's torch 1.13 has no
Kineto) and torchvision (random weights, nothing downloaded). Usage, from the repository root, with
that Python (data/traces/cpu-2026-12 was made with a venv of PyPI's torch 2.15):

  python calibrate/traces/trace_cpu.py --threads N --out data/traces/cpu-2026-12

N should be the intra-op thread count the CPU profile was calibrated with (its
calibration.env.torch_threads: `fwtax calibrate --target cpu` runs libtorch at its default).

Timing (as method/traces.py of the shared H100 traces, but interleaved): after warm-up, PASSES
round-robin passes over the configurations, CALLS unprofiled calls of each per pass; each
configuration's TRACES profiled calls (see profiled()) are taken at the start of its middle pass, so
that unprofiled calls surround them in time and drift hits every configuration alike.
latency_median_s and latency_min_s are over all of a configuration's unprofiled calls;
pass_medians_s shows the drift between passes; the 1-minute load average before and after says
whether anything else ran. Writes <model>_cpu_bs<batch>.json.gz and index.json (the shared traces'
index format plus the environment).
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import warnings

import torch
import torchvision
from torch.profiler import ProfilerActivity, profile, schedule

PASSES = 6
CALLS = 10
TRACES = 5
# Each profiling session holds one active step on purpose (the warm-up steps are what it discards).
warnings.filterwarnings("ignore", message=".*Profiler clears events at the end of each cycle.*")


class TorchnnBert(torch.nn.Module):
    """A small BERT shape from torch.nn.TransformerEncoder (its fused fast path in inference), as the
    shared traces' bert-base-torchnn, narrower and shallower."""

    def __init__(self, vocab=30522, d=256, heads=4, ff=1024, layers=4, max_pos=512):
        super().__init__()
        self.tok = torch.nn.Embedding(vocab, d)
        self.pos = torch.nn.Embedding(max_pos, d)
        self.ln = torch.nn.LayerNorm(d)
        layer = torch.nn.TransformerEncoderLayer(d, heads, ff, activation="gelu", batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, input_ids):
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)
        return self.enc(self.ln(self.tok(input_ids) + self.pos(pos)))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def governor():
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") as f:
            return f.read().strip()
    except OSError:
        return "unknown (no cpufreq in this VM)"


def make(name, batch):
    """(module, input, seq, image): random weights and inputs."""
    torch.manual_seed(0)
    if name == "resnet18":
        # 224 pixels: below it, batch 1 runs most 3x3 convolutions on ATen's im2col path
        # (_slow_conv2d_forward, chosen when an input has at most 20480 elements; at 64 pixels it took
        # as long as oneDNN at batch 4), a backend switch no batch rescaling could know of.
        image = 224
        return torchvision.models.resnet18(weights=None), torch.randn(batch, 3, image, image), None, image
    if name == "bert-mini-torchnn":
        seq = 64
        return TorchnnBert(), torch.randint(0, 30522, (batch, seq)), seq, None
    raise SystemExit(f"unknown model {name}")


def timed(m, x):
    t = time.perf_counter()
    m(x)
    return time.perf_counter() - t


def profiled(c):
    """Profiles TRACES forwards and keeps the trace of the median one: one forward is one sample, and
    calls vary by about 10% here. Each is preceded by two profiled warm-up forwards: the first ops
    after the profiler starts run 5-40x slower (ResNet-18's stem convolution took 10.8 ms against
    about 1 ms, the first embedding 1.2 ms against 30 us). A kept trace is marked ProfilerStep#2,
    which fwtax reads as the forward."""
    tmp = tempfile.mkdtemp()
    runs = []
    for i in range(TRACES):
        path = os.path.join(tmp, f"{i}.json")
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True,
                     schedule=schedule(wait=0, warmup=2, active=1),
                     on_trace_ready=lambda p, path=path: p.export_chrome_trace(path)) as prof:
            for _ in range(3):
                wall = timed(c["m"], c["x"])
                prof.step()
        runs.append((wall, path))
    runs.sort()
    c["profiled_s"] = [w for w, _ in runs]
    c["tmp"] = tmp
    c["trace"] = runs[len(runs) // 2][1]


def trace_all(specs, out):
    """Round-robin passes over the configurations; each one's profiled calls in the middle pass."""
    configs = []
    for spec in specs:
        name, batch = spec.split(":") if ":" in spec else (spec, "1")
        m, x, seq, image = make(name, int(batch))
        configs.append(dict(name=name, m=m.eval(), x=x, seq=seq, image=image, passes=[]))
    with torch.no_grad():
        for c in configs:
            for _ in range(5):
                c["m"](c["x"])
        for p in range(PASSES):
            for c in configs:
                if p == PASSES // 2:
                    profiled(c)
                c["passes"].append([timed(c["m"], c["x"]) for _ in range(CALLS)])
    recs = []
    for c in configs:
        fname = f"{c['name']}_cpu_bs{c['x'].shape[0]}.json"
        with open(c["trace"], "rb") as f, gzip.GzipFile(os.path.join(out, fname + ".gz"), "wb", mtime=0) as g:
            shutil.copyfileobj(f, g)
        shutil.rmtree(c["tmp"])
        calls = [t for p in c["passes"] for t in p]
        rec = {"file": fname + ".gz", "model": c["name"], "dtype": "fp32", "batch": int(c["x"].shape[0]),
               "seq": c["seq"], "image": c["image"], "mode": "eager", "latency_median_s": statistics.median(calls),
               "latency_min_s": min(calls), "pass_medians_s": [statistics.median(p) for p in c["passes"]],
               "profiled_calls_s": c["profiled_s"]}
        print(f"{fname}.gz: unprofiled median {rec['latency_median_s'] * 1e3:.3f} ms, min "
              f"{rec['latency_min_s'] * 1e3:.3f} ms, passes "
              f"{', '.join(f'{v * 1e3:.2f}' for v in rec['pass_medians_s'])} ms; profiled calls "
              f"{', '.join(f'{v * 1e3:.2f}' for v in c['profiled_s'])} ms (kept the median)", flush=True)
        recs.append(rec)
    return recs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True, help="intra-op threads (the CPU profile's)")
    ap.add_argument("--out", required=True)
    ap.add_argument("configs", nargs="*", default=["resnet18:1", "resnet18:4", "bert-mini-torchnn:1"],
                    help="model:batch")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    index = {"source": "calibrate/traces/trace_cpu.py on this machine's CPU: one profiled eager forward per "
                       f"trace, the median-time one of {TRACES}, each taken after two profiled warm-up forwards "
                       "(torch.profiler, CPU activity, record_shapes=True, schedule warmup=2 active=1, "
                       "torch.no_grad, random weights); "
                       f"latencies: {PASSES} passes of {CALLS} unprofiled calls around the profiled ones "
                       "(median and min over all, seconds)",
             "env": {"torch": torch.__version__, "torchvision": torchvision.__version__,
                     "python": platform.python_version(), "torch_threads": torch.get_num_threads(),
                     "cpu_model": cpu_model(), "cores": os.cpu_count(), "governor": governor(),
                     "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "loadavg_1min_before": os.getloadavg()[0]},
             "traces": trace_all(a.configs, a.out)}
    index["env"]["loadavg_1min_after"] = os.getloadavg()[0]
    with open(os.path.join(a.out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
