#!/usr/bin/env python3
"""Host cost per op of eager PyTorch, per node of the TorchScript interpreter and per node of ONNX
Runtime's executor, measured on this machine's CPU with tiny tensors (the op's own work is small, so
what is timed is dispatch: Python binding, interpreter or executor, and the operator's fixed cost).

The cost per op is the slope of call time against the number of ops in a chain (chains of 40 and 200
ops of one kind), so a call's fixed cost drops out; the cost per call is a one-op chain's time less
one op. Each time is the fastest of 9 epochs of 200 calls (other work on the machine only slows a
run down). Writes JSON to stdout.

  /usr/bin/python3 calibrate/derive/measure_node_costs.py torchscript   # Debian's torch 1.13
  /root/venv-torch/bin/python calibrate/derive/measure_node_costs.py onnxruntime  # PyPI's torch + ORT

Measurement instruments only: neither fwtax's build nor its tests run this.
"""
import json
import platform
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
SHORT, LONG = 40, 200
REPEATS = 9


def best_time(fn, arg, calls=200):
    fn(arg)
    fn(arg)
    out = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn(arg)
        out.append((time.perf_counter() - t0) / calls)
    return min(out)


# One op of each fwtax op class on tiny tensors, as a Python statement on `x` (shape [1, 16] unless
# said), the fwtax class, and the input shape.
W = torch.randn(16, 16)
B = torch.randn(16)
G = torch.ones(16)
CW = torch.randn(4, 4, 3, 3)
RM, RV = torch.zeros(4), torch.ones(4)
OPS = {
    "elementwise": ("x = torch.add(x, 1.0)", [1, 16]),
    "linear": ("x = F.linear(x, W, B)", [1, 16]),
    "matmul": ("x = torch.matmul(x, W)", [1, 16]),
    "layer_norm": ("x = F.layer_norm(x, (16,), G, B)", [1, 16]),
    "softmax": ("x = torch.softmax(x, -1)", [1, 16]),
    "view": ("x = x.transpose(0, 1)", [1, 16]),
    "conv": ("x = F.conv2d(x, CW, None, 1, 1)", [1, 4, 6, 6]),
    "batch_norm": ("x = F.batch_norm(x, RM, RV, G[:4], B[:4], False, 0.1, 1e-5)", [1, 4, 6, 6]),
}


def chain_fn(stmt, n):
    src = "def f(x):\n" + "".join("    " + stmt + "\n" for _ in range(n)) + "    return x\n"
    scope = {"torch": torch, "F": F, "W": W, "B": B, "G": G, "CW": CW, "RM": RM, "RV": RV, "__name__": __name__}
    exec(src, scope)
    return scope["f"]


def slope(times):
    return (times[LONG] - times[SHORT]) / (LONG - SHORT)


def env():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "python": platform.python_version(), "torch": torch.__version__, "threads": 1,
            "date": time.strftime("%Y-%m-%d")}


def measure_torchscript():
    torch._C._jit_override_can_fuse_on_cpu(False)  # time the interpreter, not a CPU fuser
    out = {}
    with torch.no_grad():
        for cls, (stmt, shape) in OPS.items():
            x = torch.randn(*shape)
            eager, script = {}, {}
            for n in (1, SHORT, LONG):
                f = chain_fn(stmt, n)
                eager[n] = best_time(f, x)
                traced = torch.jit.trace(f, (x,), check_trace=False)
                script[n] = best_time(traced, x)
            e, s = slope(eager), slope(script)
            out[cls] = {"eager_op_s": e, "torchscript_node_s": s, "ratio": s / e,
                        "eager_call_s": eager[1] - e, "torchscript_call_s": script[1] - s}
    return {"env": env(), "per_class": out}


def measure_onnxruntime():
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    def graph(op, n, shape, inits, attrs=None, extra_inputs=()):
        nodes, name = [], "x"
        for i in range(n):
            out = f"t{i}"
            nodes.append(helper.make_node(op, [name, *extra_inputs], [out], **(attrs or {})))
            name = out
        g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info(name, TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        return m.SerializeToString()

    w = np.random.randn(16, 16).astype(np.float32)
    b = np.random.randn(16).astype(np.float32)
    ones = np.ones(16, np.float32)
    cw = np.random.randn(4, 4, 3, 3).astype(np.float32)
    nodes = {
        "elementwise": ("Add", [1, 16], {"one": np.ones(1, np.float32)}, None, ("one",)),
        "linear": ("Gemm", [1, 16], {"w": w, "b": b}, {"transB": 1}, ("w", "b")),
        "matmul": ("MatMul", [1, 16], {"w": w}, None, ("w",)),
        "layer_norm": ("LayerNormalization", [1, 16], {"g": ones, "b": b}, {"axis": -1}, ("g", "b")),
        "softmax": ("Softmax", [1, 16], {}, {"axis": -1}, ()),
        "view": ("Transpose", [4, 4], {}, {"perm": [1, 0]}, ()),
        "conv": ("Conv", [1, 4, 6, 6], {"cw": cw}, {"pads": [1, 1, 1, 1]}, ("cw",)),
        "batch_norm": ("BatchNormalization", [1, 4, 6, 6],
                       {"s": ones[:4], "bb": b[:4], "m": np.zeros(4, np.float32), "v": ones[:4]}, None,
                       ("s", "bb", "m", "v")),
    }
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep every node
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    out = {}
    with torch.no_grad():
        for cls, (op, shape, inits, attrs, extra) in nodes.items():
            stmt = OPS[cls][0] if cls != "view" else "x = x.t()"
            x = torch.randn(*shape)
            xn = x.numpy()
            eager, rt = {}, {}
            for n in (1, SHORT, LONG):
                eager[n] = best_time(chain_fn(stmt, n), x)
                sess = ort.InferenceSession(graph(op, n, shape, inits, attrs, extra), so,
                                            providers=["CPUExecutionProvider"])
                rt[n] = best_time(lambda a: sess.run(None, {"x": a}), xn)
            e, r = slope(eager), slope(rt)
            out[cls] = {"eager_op_s": e, "onnxruntime_node_s": r, "ratio": r / e,
                        "eager_call_s": eager[1] - e, "onnxruntime_call_s": rt[1] - r}
    e = env()
    e["onnxruntime"] = ort.__version__
    return {"env": e, "per_class": out}


if __name__ == "__main__":
    part = sys.argv[1] if len(sys.argv) > 1 else "torchscript"
    res = measure_torchscript() if part == "torchscript" else measure_onnxruntime()
    res["source"] = (f"calibrate/derive/measure_node_costs.py {part} on {res['env'].get('cpu', 'an unnamed CPU')}, "
                     f"{res['env'].get('date', '')}: per op class, the slope of call time against chain length "
                     "(fastest of 9 epochs); see README.md here")
    json.dump(res, sys.stdout, indent=1)
    print()
