#!/usr/bin/env python3
"""What torch.compile (Inductor, default mode) costs the host on this machine's CPU, and compiled
zoo models' latencies to validate fwtax's torch-compile mode against.

  OPENBLAS_NUM_THREADS=1 /root/venv-torch/bin/python calibrate/derive/measure_compile_costs.py costs \
      --out data/measured/compile-costs-2026-12/torch-compile-2.15-cpu.json
  OPENBLAS_NUM_THREADS=1 /root/venv-torch/bin/python calibrate/derive/measure_compile_costs.py models \
      --out data/measured/compile-costs-2026-12/zoo-cpu-runs.json

`costs`: one fused kernel (batch norm + ReLU6, and batch norm + ReLU) over 8192 to 401408 elements,
for the generated code's time per element, and chains of K library calls (`x = torch.mm(x, W)`, Inductor calls extern_kernels.mm for each)
and chains of K pairs of a library call and a pointwise op (`x = torch.tanh(torch.mm(x, W))`: the
tanh cannot fuse into the extern GEMM, so each pair is one extern call and one generated C++
kernel), K = 1, 8, 32, on tiny tensors ([1, 16] x [16, 16]) so that what is timed is dispatch. The
wrapper's calls are counted in the generated code (torch._inductor.utils.run_and_get_code), not
assumed. Per extern call: the slope of call time over K of the first chain; per generated kernel:
the slope of the second less the first's; per call (guards, the compiled frame's entry, the
wrapper's prologue): the fit's intercept at K = 0. The same Python functions run eagerly give eager
PyTorch's per-op and per-call costs on the same machine, which a GPU profile scales by.

`models`: zoo models built as fwtax's builders describe them (torchvision ResNet-18 at batch 1 and 4,
ResNet-50 and MobileNet-V2 at batch 1, 224 pixels, random weights), eager and torch.compile'd, under
torch.no_grad(); written as fwtax.runs/1 (docs/measured-runs.md) for `fwtax validate --measured`.

Timing: one intra-op thread (torch.set_num_threads(1); set OPENBLAS_NUM_THREADS=1 too), warm-up,
then PASSES round-robin passes over every (configuration, eager/compiled) pair, CALLS timed calls of
each per pass, so that other work on this shared 2-core machine hits all pairs alike. Each
configuration keeps min/median/p90 of the wall clock and of the thread's CPU time
(time.thread_time) over all its calls, and each pass's median; the 1-minute load (`uptime`) is
recorded before and after every pass. Measurement instruments only: fwtax's build and tests do not
run this.
"""
import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
KS = (1, 8, 32)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def load1():
    return os.getloadavg()[0]


def env():
    import torchvision
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "torch": torch.__version__, "torchvision": torchvision.__version__,
            "intra_op_threads": torch.get_num_threads(), "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "inductor_freezing": bool(torch._inductor.config.freezing),
            "date": time.strftime("%Y-%m-%d"), "start_utc": time.strftime("%H:%M:%S", time.gmtime()),
            "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}


def stamp_end(e):
    """Writes a measurement's end time and the machine's load then into its env."""
    e["end_utc"] = time.strftime("%H:%M:%S", time.gmtime())
    e["uptime_end"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run_times(t, iters):
    """A fwtax.runs/1 run's times from interleaved()'s timing of one case: median/min/p90 of the
    thread's CPU time (one intra-op thread: the call's time less its waits for a core on this shared
    machine), wall_* the clock's, and each pass's median."""
    return {"iters": iters, "median_s": t["thread_cpu"]["median_s"], "min_s": t["thread_cpu"]["min_s"],
            "p90_s": t["thread_cpu"]["p90_s"], "wall_median_s": t["wall"]["median_s"],
            "wall_min_s": t["wall"]["min_s"], "wall_p90_s": t["wall"]["p90_s"],
            "pass_medians_s": t["pass_medians_s"]}


def stats(xs):
    s = sorted(xs)
    return {"min_s": s[0], "median_s": statistics.median(s), "p90_s": s[min(len(s) - 1, int(0.9 * len(s)))],
            "n": len(s)}


def interleaved(cases, passes, calls):
    """cases: name -> (fn, arg). Returns name -> timing summary, and the load per pass."""
    wall = {k: [] for k in cases}
    cpu = {k: [] for k in cases}
    pass_medians = {k: [] for k in cases}
    loads = []
    with torch.no_grad():
        for fn, arg in cases.values():
            for _ in range(3):
                fn(arg)
        for p in range(passes):
            before = load1()
            names = list(cases)
            if p % 2:
                names.reverse()  # alternate the order so no case always runs first
            for k in names:
                fn, arg = cases[k]
                this = []
                for _ in range(calls):
                    t0, c0 = time.perf_counter(), time.thread_time()
                    fn(arg)
                    c1, t1 = time.thread_time(), time.perf_counter()
                    this.append(t1 - t0)
                    cpu[k].append(c1 - c0)
                wall[k] += this
                pass_medians[k].append(statistics.median(this))
            loads.append({"pass": p, "load1_before": before, "load1_after": load1()})
    out = {k: {"wall": stats(wall[k]), "thread_cpu": stats(cpu[k]), "pass_medians_s": pass_medians[k]} for k in cases}
    return out, loads


W = torch.randn(16, 16) / 4


def chain(n, pointwise):
    stmt = "    x = torch.tanh(torch.mm(x, W))\n" if pointwise else "    x = torch.mm(x, W)\n"
    src = "def f(x):\n" + stmt * n + "    return x\n"
    scope = {"torch": torch, "W": W}
    exec(src, scope)
    return scope["f"]


def count_calls(code):
    """Extern library calls and generated-kernel calls in the wrapper's call() function."""
    call = code[code.find("def call("):]
    call = call[:call.find("\nrunner =")] if "\nrunner =" in call else call
    extern = len(re.findall(r"extern_kernels\.\w+\(", call))
    generated = len(re.findall(r"\bcpp_fused_\w+\(", call))
    return extern, generated


def fit(ks, ts):
    n = len(ks)
    mk, mt = sum(ks) / n, sum(ts) / n
    slope = sum((k - mk) * (t - mt) for k, t in zip(ks, ts)) / sum((k - mk) ** 2 for k in ks)
    return slope, mt - slope * mk


def vec_isa():
    """The vector ISA Inductor's C++ code generation picked here (invalid: scalar loops)."""
    try:
        from torch._inductor import cpu_vec_isa
        isa = cpu_vec_isa.pick_vec_isa()
        return {"picked": str(isa) if isa else "none (InvalidVecISA: scalar code)",
                "cpu_flags_seen": list(cpu_vec_isa.x86_isa_checker()),
                "aten_cpu_capability": torch.backends.cpu.get_cpu_capability()}
    except Exception as e:  # an instrument, not a dependency
        return {"error": str(e)}


RM, RV, BW, BB = torch.zeros(32), torch.ones(32), torch.ones(32), torch.zeros(32)


def bn_relu6(x):
    return F.relu6(F.batch_norm(x, RM, RV, BW, BB, False, 0.1, 1e-5))


def bn_relu(x):
    return F.relu(F.batch_norm(x, RM, RV, BW, BB, False, 0.1, 1e-5))


# ReLU6 (a clamp) lowers to NaN-propagating min/max, ReLU to a plain max: the compiler treats their
# scalar loops differently, so both are timed.
PATTERNS = {"bn_relu6": bn_relu6, "bn_relu": bn_relu}


SIDES = (16, 56, 112)  # [1, 32, side, side]: 8192 to 401408 elements


def measure_costs(passes, calls):
    from torch._inductor.utils import run_and_get_code
    e0 = env()
    e0["inductor_vec_isa"] = vec_isa()
    x = torch.randn(1, 16)
    cases, counts = {}, {}
    with torch.no_grad():
        for pw in (False, True):
            for k in KS:
                name = f"{'mm_tanh' if pw else 'mm'}_x{k}"
                f = chain(k, pw)
                g = torch.compile(f, dynamic=False)
                _, codes = run_and_get_code(g, x)
                counts[name] = count_calls("\n".join(codes))
                cases[name + "/eager"] = (f, x)
                cases[name + "/compiled"] = (g, x)
        # One generated kernel (batch norm + ReLU6, fused) over more and more elements: its time per
        # element, where the generated code, not memory, may bound it.
        for pat, fn in PATTERNS.items():
            for side in SIDES:
                xs = torch.randn(1, 32, side, side)
                g = torch.compile(fn, dynamic=False)
                _, codes = run_and_get_code(g, xs)
                counts[f"{pat}_{side}"] = count_calls("\n".join(codes))
                cases[f"{pat}_{side}/eager"] = (fn, xs)
                cases[f"{pat}_{side}/compiled"] = (g, xs)
    timing, loads = interleaved(cases, passes, calls)
    res = {"env": e0, "chains": {}, "load_per_pass": loads}
    for name, (ext, gen) in counts.items():
        res["chains"][name] = {"extern_calls": ext, "generated_kernels": gen,
                               "eager": timing[name + "/eager"], "compiled": timing[name + "/compiled"]}
    # Fits over the wall clock's min and median and over the thread's CPU time (the median): on this
    # shared machine the CPU time is the steadier (one intra-op thread: the call's time less its waits
    # for a core), and derive_compile_modes.py uses it.
    fits = {}
    for clock, stat in (("wall", "min_s"), ("wall", "median_s"), ("thread_cpu", "median_s")):
        key = stat if clock == "wall" else f"{clock}_{stat}"
        f = {}
        for mode in ("eager", "compiled"):
            for kind in ("mm", "mm_tanh"):
                f[f"{mode}/{kind}"] = fit(list(KS), [res["chains"][f"{kind}_x{k}"][mode][clock][stat] for k in KS])
        fits[key] = {
            "eager_op_s": f["eager/mm"][0],
            "eager_pointwise_op_s": f["eager/mm_tanh"][0] - f["eager/mm"][0],
            "eager_call_s": f["eager/mm"][1],
            "compiled_extern_call_s": f["compiled/mm"][0],
            "compiled_generated_kernel_s": f["compiled/mm_tanh"][0] - f["compiled/mm"][0],
            "compiled_call_s": f["compiled/mm"][1],
            "compiled_call_s_from_pairs": f["compiled/mm_tanh"][1],
        }
        els = [32 * side * side for side in SIDES]
        for pat in PATTERNS:
            for mode in ("eager", "compiled"):
                slope, _ = fit(els, [res["chains"][f"{pat}_{side}"][mode][clock][stat] for side in SIDES])
                fits[key][f"{mode}_{pat}_elements_per_s"] = 1 / slope
    res["fits"] = fits
    stamp_end(res["env"])
    res["source"] = (f"calibrate/derive/measure_compile_costs.py costs on {e0['cpu']} ({e0['cores']} cores), "
                     f"{e0['date']}, torch {e0['torch']}: slopes over K = {list(KS)} of call time (wall clock min and "
                     "median, thread CPU time median) of "
                     "chains of K extern GEMMs and K (GEMM, tanh) pairs, eager and torch.compile'd; "
                     f"elements per second of one fused batch norm + ReLU6 (+ ReLU) kernel over [1, 32, s, s], s = {list(SIDES)}; "
                     f"{passes} interleaved passes of {calls} calls")
    res["method"] = ("per extern call: slope of the mm chain; per generated kernel: slope of the mm+tanh chain less "
                     "the mm chain's; per call: the mm chain's intercept at K = 0; wrapper call counts read from "
                     "the generated code (extern_calls, generated_kernels per chain)")
    return res


def make(name, batch):
    import torchvision
    ctor = {"resnet18": torchvision.models.resnet18, "resnet50": torchvision.models.resnet50,
            "mobilenet-v2": torchvision.models.mobilenet_v2}[name]
    return ctor(weights=None).eval(), torch.randn(batch, 3, 224, 224)


MODELS = (("resnet18", 1), ("resnet18", 4), ("resnet50", 1), ("mobilenet-v2", 1))


def measure_models(passes, calls):
    from torch._inductor.utils import run_and_get_code
    e0 = env()
    e0["inductor_vec_isa"] = vec_isa()
    cases, counts, compile_s = {}, {}, {}
    with torch.no_grad():
        for name, batch in MODELS:
            m, x = make(name, batch)
            key = f"{name}/bs{batch}"
            g = torch.compile(m, dynamic=False)
            t0 = time.perf_counter()
            _, codes = run_and_get_code(g, x)
            compile_s[key] = time.perf_counter() - t0
            counts[key] = count_calls("\n".join(codes))
            cases[key + "/eager"] = (m, x)
            cases[key + "/compiled"] = (g, x)
    timing, loads = interleaved(cases, passes, calls)
    runs = []
    for name, batch in MODELS:
        key = f"{name}/bs{batch}"
        for mode, fw in (("eager", "eager"), ("compiled", "torch-compile")):
            # As data/measured/cpu-llm-2026-12.
            runs.append({"model": name, "mode": fw, "dtype": "fp32", "batch": batch, "image": 224, "seq": None,
                         **run_times(timing[f"{key}/{mode}"], passes * calls)})
        e0.setdefault("compiled_calls", {})[key] = {"extern_calls": counts[key][0], "generated_kernels": counts[key][1],
                                                    "first_call_s": compile_s[key]}
    stamp_end(e0)
    e0.update({"cpu_model": e0["cpu"], "torch_threads": e0["intra_op_threads"],
               "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    e0["load_per_pass"] = loads
    return {"schema": "fwtax.runs/1", "env": e0, "runs": runs,
            "timing": (f"{passes} passes over every (configuration, eager/compiled) pair, the order reversed every "
                       f"other pass, after 3 warm-up calls each; {calls} synchronous calls per pair and pass. median_s, "
                       "min_s, p90_s: the thread's CPU time (time.thread_time; one intra-op thread); wall_*: the wall "
                       "clock (time.perf_counter); pass_medians_s: each pass's median of the wall clock. Models built as "
                       "fwtax's zoo builders describe them (torchvision ResNet-18, ResNet-50, MobileNet-V2 at 224 pixels); "
                       "mode torch-compile = torch.compile(model) (Inductor default mode, freezing off); "
                       "env.compiled_calls: the generated wrapper's extern and generated-kernel calls and the first "
                       "(compiling) call's time"),
            "source": (f"calibrate/derive/measure_compile_costs.py models on {e0['cpu']} ({e0['cores']} cores), "
                       f"{e0['date']}, torch {e0['torch']}, torchvision {e0['torchvision']}: random weights, "
                       f"torch.no_grad(), one thread; {passes} interleaved passes of {calls} calls per configuration "
                       "and mode; see timing")}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("part", choices=["costs", "models"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--passes", type=int, default=None)
    ap.add_argument("--calls", type=int, default=None)
    a = ap.parse_args()
    if a.part == "costs":
        r = measure_costs(a.passes or 12, a.calls or 200)
    else:
        r = measure_models(a.passes or 8, a.calls or 5)
    with open(a.out, "w") as f:
        json.dump(r, f, indent=1)
        f.write("\n")
    print("wrote", a.out)
