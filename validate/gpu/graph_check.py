#!/usr/bin/env python3
"""What a CUDA graph of a model runs, against the same model's eager forward (one GPU).

    python3 validate/gpu/graph_check.py --out graph_check.json

Why: on the shared H100, HF BertModel in fp16 replayed from a CUDA graph took 2.4-2.8x its eager
trace's kernel time at every batch, while torch.nn's BERT and fp32 matched. For each case this
records (1) the aten ops dispatched by one eager forward and by the graph capture (the Python code
runs during capture, so a different code path shows up here), (2) the kernels of one eager forward
and of one graph replay with their GPU time (CUPTI through torch.profiler), (3) the latency of eager
calls and of replays. Variants isolate the attention path: SDPA with no mask (as measured),
`attn_implementation="eager"`, and SDPA with an all-ones mask passed explicitly.
"""
import argparse
import collections
import json
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from measure_gpu import LastHidden, TorchnnBert, graphed, timed  # noqa: E402


def ops_of(prof):
    c = collections.Counter(e.name for e in prof.events() if e.name.startswith("aten::"))
    return dict(c.most_common())


def kernels_of(prof):
    by = collections.defaultdict(lambda: [0, 0.0])
    for e in prof.events():
        if str(getattr(e, "device_type", "")).endswith("CUDA"):
            k = by[e.name[:120]]
            k[0] += 1
            k[1] += e.time_range.elapsed_us() * 1e-6
    total = sum(v[1] for v in by.values())
    rows = sorted(([n, c, s] for n, (c, s) in by.items()), key=lambda r: -r[2])
    return {"count": sum(v[0] for v in by.values()), "busy_s": total, "by_name": rows[:40]}


def case(model, x, label, mask=None):
    call = (lambda: model(x)) if mask is None else (lambda: model.m(input_ids=x, attention_mask=mask)[0])
    out = {"case": label}
    with torch.no_grad():
        out["eager"] = timed(call)
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
            call()
            torch.cuda.synchronize()
        out["eager_ops"], out["eager_kernels"] = ops_of(p), kernels_of(p)
        with profile(activities=[ProfilerActivity.CPU]) as p:
            g = graphed(call)
        out["capture_ops"] = ops_of(p)
        out["graph"] = timed(g.replay)
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as p:
            g.replay()
            torch.cuda.synchronize()
        out["replay_kernels"] = kernels_of(p)
        del g
    e, r = out["eager_kernels"]["busy_s"], out["replay_kernels"]["busy_s"]
    print(f"{label:40s} eager {out['eager']['median_s'] * 1e3:8.3f} ms (kernels {e * 1e3:7.3f} ms, "
          f"{out['eager_kernels']['count']}) | graph {out['graph']['median_s'] * 1e3:8.3f} ms (kernels "
          f"{r * 1e3:7.3f} ms, {out['replay_kernels']['count']})", flush=True)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--batches", default="1,32")
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print("graph_check.py: no CUDA GPU visible to torch", file=sys.stderr)
        return 2
    import transformers as T
    res = {"torch": torch.__version__, "transformers": T.__version__, "gpu": torch.cuda.get_device_name(0),
           "cases": [], "errors": []}

    def save():
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)

    for bs in [int(b) for b in a.batches.split(",")]:
        x = torch.randint(0, 1000, (bs, 128), device="cuda")
        plans = [("bert-base fp16 sdpa", torch.float16, "sdpa", False),
                 ("bert-base fp32 sdpa", torch.float32, "sdpa", False),
                 ("bert-base fp16 eager-attention", torch.float16, "eager", False),
                 ("bert-base fp16 sdpa ones-mask", torch.float16, "sdpa", True),
                 ("bert-base-torchnn fp16", torch.float16, None, False)]
        for label, dt, attn, mask in plans:
            try:
                with torch.device("cuda"):
                    if attn is None:
                        m = TorchnnBert()
                    else:
                        m = LastHidden(T.BertModel(T.BertConfig(attn_implementation=attn)))
                m = m.eval().to(dt)
                msk = torch.ones(bs, 128, dtype=torch.long, device="cuda") if mask else None
                r = case(m, x, f"{label} bs{bs}", msk)
                r.update({"batch": bs, "dtype": str(dt)})
                res["cases"].append(r)
                del m
                torch.cuda.empty_cache()
            except Exception as e:  # noqa: BLE001 - report and go on
                res["errors"].append(f"{label} bs{bs}: {e!r}"[:800])
                print("ERROR", label, bs, repr(e)[:300], flush=True)
            save()
    save()
    return 0


if __name__ == "__main__":
    t0 = time.time()
    rc = main()
    print(f"graph_check.py: {time.time() - t0:.0f} s", flush=True)
    sys.exit(rc)
