#!/usr/bin/env python3
"""Puts the GEMMs that validate/cpu/linear_sweep.py timed (F.linear in the torch that ran a ground truth)
into a CPU profile's nn.Linear shape table, replacing the table's points of the same weight shapes.

A CPU profile calibrated with the libtorch probe (Debian's torch 1.13, OpenBLAS) times GEMMs as that
library runs them; PyPI's torch runs MKL, whose sgemm on 2-8 rows packs the weight first and takes up
to twice its one-row GEMV's time, and whose LM-head shapes (n = 32000-151936, k = 256) the probe never
measured (fwtax blended them from 1024 x 256). The efficiency of a point is its FLOPs over its median
time less the median of a 1x8x8 linear (the call's own cost, which the framework profile's linear
op cost already holds), over the profile's fp32 peak; points timed in several files are averaged.

  python3 calibrate/derive/merge_linear_sweep.py PROFILE SWEEP.json [SWEEP.json ...] > NEW_PROFILE
"""
import json
import statistics
import sys


def main():
    profile = json.load(open(sys.argv[1]))
    sweeps = sys.argv[2:]
    peak = profile["peak_flops_per_s"]["fp32_simt"]
    points = {}
    for path in sweeps:
        s = json.load(open(path))
        rows = s["linear"]
        call = statistics.median(r["median_s"] for r in rows if r["tiny"])
        for r in rows:
            if r["tiny"]:
                continue
            m, n, k = r["m"], r["n"], r["k"]
            kernel = max(r["median_s"] - call, 0.05 * r["median_s"])
            points.setdefault((m, n, k), []).append(2.0 * m * n * k / kernel / peak)
    shapes = {(n, k) for (_, n, k) in points}
    eff = profile["efficiency"]
    table = [p for p in eff["linear_shapes"]["fp32_simt"] if (p[1], p[2]) not in shapes]
    for (m, n, k), e in sorted(points.items()):
        table.append([float(m), float(n), float(k), min(1.0, statistics.mean(e))])
    eff["linear_shapes"]["fp32_simt"] = table
    eff["source"] += ("; linear_shapes of the weight shapes " + ", ".join(f"{n}x{k}" for n, k in sorted(shapes)) +
                      " from " + ", ".join(sweeps) + " (calibrate/derive/merge_linear_sweep.py: F.linear in the "
                      "torch that ran the ground truth, less a 1x8x8 linear's time, over the fp32 peak)")
    json.dump(profile, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
