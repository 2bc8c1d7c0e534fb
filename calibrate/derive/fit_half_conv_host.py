#!/usr/bin/env python3
"""Fits half_conv_host_s, the host time a half-precision convolution adds in PyTorch 1.12 when cuDNN runs it
on tensor cores (no CPU can measure it, and no GPU of that stack is at hand), on the Framework Tax paper's
RTX 8000 fp16 eager runs alone: the one paper GPU whose host CPU is known (data/hosts/rtx8000-xeon-w2295.json).
Then reports, with the fitted value and with none, the MAPE of what it was not fitted to: the seven other
GPUs' fp16 eager runs, and every TorchScript run (fp32 runs do not change: they have no half convolutions).
Prints the value; put it in derive_stacks_2022.py (HALF_CONV_HOST_S) and run that.

  python3 calibrate/derive/fit_half_conv_host.py [build/fwtax]   # from the repository root
"""
import json
import os
import sys
import tempfile

from paper_mape import mape, paper_files as files

FWTAX = sys.argv[1] if len(sys.argv) > 1 else "build/fwtax"
EAGER = "data/frameworks/pytorch-eager@1.12.json"
TS = "data/frameworks/torchscript@1.12.json"


def main():
    fit_on = files(["pretrained-fp16"], lambda f: f == "RTX-8000.csv")
    other_eager = files(["pretrained-fp16"], lambda f: f != "RTX-8000.csv")
    torchscript = files(["pretrained-torchscript", "pretrained-torchscript-fp16"], lambda f: True)
    with tempfile.TemporaryDirectory() as d:
        def at(base, v, csvs):
            profile = json.load(open(base))
            profile["half_conv_host_s"] = v
            path = os.path.join(d, os.path.basename(base))
            with open(path, "w") as f:
                json.dump(profile, f)
            return mape(FWTAX, path, csvs)

        grid = [i * 2.5e-6 for i in range(0, 21)]
        scores = [(at(EAGER, v, fit_on)[0], v) for v in grid]
        best_mape, best = min(scores)
        print(f"fit on the RTX 8000's fp16 eager runs: half_conv_host_s = {best:.3g} s, MAPE {best_mape:.1f}% "
              f"(at 0: {scores[0][0]:.1f}%)")
        for name, base, csvs in (("the other GPUs' fp16 eager runs", EAGER, other_eager),
                                 ("the TorchScript runs", TS, torchscript)):
            with_v, n = at(base, best, csvs)
            without, _ = at(base, 0.0, csvs)
            print(f"{name} ({n}): MAPE {with_v:.1f}% (at 0: {without:.1f}%)")


if __name__ == "__main__":
    main()
