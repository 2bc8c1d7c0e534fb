#!/usr/bin/env python3
"""Fits torchscript@1.12's fused_op_host_s (the host time an nvFuser fusion group's node adds: its
guard and its compiled-kernel cache lookup, which no CPU can measure) on the RTX 8000's TorchScript
runs of the Framework Tax paper alone (fp32 and fp16), then reports the MAPE of the other seven GPUs
with the fitted value, which were not used. Prints the value; put it in derive_stacks_2022.py.

  python3 calibrate/derive/fit_fused_op_host.py [build/fwtax]   # from the repository root
"""
import json
import os
import sys
import tempfile

from paper_mape import mape as fwtax_mape, paper_files

FWTAX = sys.argv[1] if len(sys.argv) > 1 else "build/fwtax"
PROFILE = "data/frameworks/torchscript@1.12.json"


def files(gpu_filter):
    return paper_files(("pretrained-torchscript", "pretrained-torchscript-fp16"), gpu_filter)


def main():
    base = json.load(open(PROFILE))
    fit_on = files(lambda f: f == "RTX-8000.csv")
    others = files(lambda f: f != "RTX-8000.csv")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "torchscript@1.12.json")

        def at(v, csvs):
            base["fused_op_host_s"] = v
            with open(path, "w") as f:
                json.dump(base, f)
            return fwtax_mape(FWTAX, path, csvs)

        grid = [i * 2.5e-6 for i in range(0, 21)]
        scores = [(at(v, fit_on)[0], v) for v in grid]
        best_mape, best = min(scores)
        print(f"fit on {len(fit_on)} RTX 8000 files: fused_op_host_s = {best:.3g} s, MAPE {best_mape:.1f}% "
              f"(at 0: {scores[0][0]:.1f}%)")
        other_mape, n = at(best, others)
        other_zero, _ = at(0.0, others)
        print(f"the other GPUs ({n} runs): MAPE {other_mape:.1f}% (at 0: {other_zero:.1f}%)")


if __name__ == "__main__":
    main()
