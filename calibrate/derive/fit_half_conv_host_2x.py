#!/usr/bin/env python3
"""Fits half_conv_host_s for today's PyTorch (2.x, cuDNN 9): the host time a half-precision convolution
adds over a TF32 one when cuDNN runs it on tensor cores, on the reference host. No CPU can measure it.

What shows it: framework-bound CNNs run longer in fp16 than in fp32 on every H100/H200 machine measured,
by more than the fp16 kernels' own launches explain, and transformers (no convolutions) do not. The
host binds both, so a host's speed cancels in the ratio of the two: per model and batch where both
dtypes are predicted framework-bound, (measured fp16 / measured fp32) / (predicted fp16 / predicted fp32).

Fitted on one set alone, the H200 VM's eager runs timed in interleaved passes (H7,
data/measured/h200-2026-12/runs-eager.json): the value whose median of that ratio is 1. Checked on what it
was not fitted to: the other H200 VMs' eager runs (H3, H1), the shared H100 runs (machine A), and the
TorchScript runs of both (frozen: batch norm folded, so their fp16 excess is the convolutions' alone).
Prints the value; put it in derive_h100.py (HALF_CONV_HOST_S) and run that.

  python3 calibrate/derive/fit_half_conv_host_2x.py [build/fwtax]   # from the repository root
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

FWTAX = sys.argv[1] if len(sys.argv) > 1 else "build/fwtax"
M = "data/measured/"
FIT = ("H7 eager (fitted)", M + "h200-2026-12/runs-eager.json", "pytorch-eager",
       ["--device", "h200-calibrated", "--host", "h200-vm7"])
CHECKS = [
    ("H3 eager", M + "h200-2026-11/runs.json", "pytorch-eager", ["--device", "h200-calibrated"]),
    ("H1 eager", M + "h200-2026-11/runs-machine-h1.json", "pytorch-eager", ["--device", "h200-calibrated"]),
    ("machine A eager", M + "h100-2026-11-runs.json", "pytorch-eager", []),
    ("H3 TorchScript", M + "h200-2026-11/runs.json", "torchscript", ["--device", "h200-calibrated"]),
    ("machine A TorchScript", M + "h100-2026-11-runs.json", "torchscript", []),
]


def runs(runs_file, profile, flags):
    out = subprocess.run([FWTAX, "validate", "--measured", runs_file, "--framework", profile, *flags, "--quiet",
                          "--format", "json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["runs"]


def pair_ratios(rs):
    """(measured fp16 / fp32) over (predicted fp16 / fp32) per model and batch with convolutions (a
    prediction that differs between the dtypes for more than the kernels' sake) where both dtypes are
    framework-bound; medians of repeated runs."""
    by = {}
    for r in rs:
        by.setdefault((r["model"], r["batch"]), {}).setdefault(r["dtype"], []).append(r)
    out = []
    for (model, _), d in sorted(by.items()):
        if not model.startswith(("resnet", "mobilenet", "densenet", "efficientnet", "vgg")):
            continue
        if "fp16" not in d or "fp32" not in d or any(x["regime"] != "framework" for v in d.values() for x in v):
            continue
        m = {k: statistics.median(x["measured_s"] for x in v) for k, v in d.items()}
        p = {k: v[0]["predicted_s"] for k, v in d.items()}
        out.append((m["fp16"] / m["fp32"]) / (p["fp16"] / p["fp32"]))
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        def at(name, runs_file, framework, flags, v):
            profile = json.load(open(f"data/frameworks/{framework}.json"))
            profile["half_conv_host_s"] = v
            path = os.path.join(tmp, f"{framework}.json")
            with open(path, "w") as f:
                json.dump(profile, f)
            rs = runs(runs_file, path, flags)
            return pair_ratios(rs), statistics.mean(r["ape_percent"] for r in rs), len(rs)

        name, *fit = FIT
        grid = [i * 0.5e-6 for i in range(0, 81)]
        best = min(grid, key=lambda v: abs(statistics.median(at(name, *fit, v)[0]) - 1))
        best = float(f"{best:.2g}")
        for label, *rest in [FIT] + CHECKS:
            r0, mape0, n = at(label, *rest, 0.0)
            r1, mape1, _ = at(label, *rest, best)
            print(f"{label}: fp16/fp32 measured over predicted, median of {len(r0)} CNN pairs, "
                  f"{statistics.median(r0):.3f} at 0 -> {statistics.median(r1):.3f}; MAPE of its {n} runs "
                  f"{mape0:.1f}% -> {mape1:.1f}%")
        print(f"half_conv_host_s = {best:.2g} s")


if __name__ == "__main__":
    main()
