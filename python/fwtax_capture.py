"""fwtax.capture: one forward of any torch.nn.Module recorded as an fwtax workload.

The module runs once (on the CPU as given, or on the `meta` device: no memory, no compute) under a
TorchFunctionMode, which sees the calls the model's Python makes (F.linear, torch.cat, x.view ...:
what the profiler lists as top-level ops and what fwtax's framework profiles cost per op), inside a
TorchDispatchMode, which sees the aten ops each call dispatches, with shapes and dtypes. Forward
pre/post hooks on every submodule record the nn.Module calls around them.

The result is the "fwtax-capture" JSON (docs/ARCHITECTURE.md, "Captured workloads"), which
`fwtax simulate --model FILE` and `fwtax.simulate(model=...)` read like a built-in model: the C++
side (model/arch/captured.cpp) replays each call through the same op builder as the built-in
architectures, at the captured or any other batch size (leading dimensions of the activations
scale; parameters do not), in any dtype and framework.

Works with PyTorch 1.13 (Debian's python3-torch) and 2.x.
"""
import collections
import copy
import json

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

FORMAT = "fwtax-capture"
VERSION = 1

_DTYPES = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}


def _describe(value, params):
    """A JSON description of one argument: tensors by shape, dtype and whether they are weights."""
    if isinstance(value, torch.Tensor):
        return {"shape": list(value.shape), "dtype": str(value.dtype).replace("torch.", ""),
                "param": id(value) in params}
    if isinstance(value, (list, tuple)):
        return [_describe(v, params) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.dtype):
        return str(value).replace("torch.", "")
    if isinstance(value, torch.Size):
        return list(value)
    return str(type(value).__name__)


def _outputs(result):
    if isinstance(result, torch.Tensor):
        return [{"shape": list(result.shape)}]
    if isinstance(result, (list, tuple)):
        return [{"shape": list(r.shape)} for r in result if isinstance(r, torch.Tensor)]
    return []


def _call_name(func):
    name = getattr(func, "__name__", str(func))
    # Tensor.__add__ is aten::add, __iadd__ aten::add_, __rsub__ aten::rsub.
    if name.startswith("__") and name.endswith("__"):
        core = name[2:-2]
        if core.startswith("i") and core[1:] in ("add", "sub", "mul", "truediv", "and", "or"):
            core = core[1:] + "_"
        elif core.startswith("r") and core[1:] in ("add", "mul", "truediv", "matmul", "and", "or"):
            core = core[1:]
        core = core.replace("truediv", "div").replace("getitem", "index").replace("setitem", "index_put_")
        name = core
    return name


class _Dispatched(TorchDispatchMode):
    """Records every aten op with its tensor inputs' shapes and dtypes."""

    def __init__(self, params):
        super().__init__()
        self.ops = []
        self.params = params

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        inputs = [_describe(a, self.params) for a in list(args) + list(kwargs.values()) if isinstance(a, torch.Tensor)]
        self.ops.append({"name": func._schema.name, "inputs": inputs})
        return func(*args, **kwargs)


class _Calls(TorchFunctionMode):
    """Records the model's torch calls (the mode is off inside a call, so only the outermost ones are
    seen). A call implemented in Python (F.batch_norm, F.multi_head_attention_forward) is marked
    "python": the profiler lists the aten calls it makes, and for one that fwtax has no op for the
    workload has an op per aten op it dispatched."""

    def __init__(self, dispatched, params, events):
        super().__init__()
        self.dispatched = dispatched
        self.params = params
        self.events = events

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        first = len(self.dispatched.ops)
        result = func(*args, **kwargs)
        aten = self.dispatched.ops[first:]
        if aten:  # size(), dim(), shape and a contiguous() that is a no-op dispatch nothing
            self.events.append({
                "op": "aten::" + _call_name(func).lstrip("_"),
                "python": hasattr(func, "__code__"),
                "args": [_describe(a, self.params) for a in args],
                "kwargs": {k: _describe(v, self.params) for k, v in kwargs.items()},
                "outputs": _outputs(result),
                "aten": aten,
            })
        return result


class Capture:
    """A captured workload: what fwtax.simulate(model=...) takes; save(path) writes its JSON."""

    def __init__(self, doc):
        self.doc = doc

    @property
    def name(self):
        return self.doc["name"]

    @property
    def ops(self):
        """The recorded framework-level calls (each with the aten ops it dispatched)."""
        return [e for e in self.doc["events"] if "op" in e]

    def aten_op_count(self):
        return sum(len(e["aten"]) for e in self.ops)

    def to_json(self):
        return json.dumps(self.doc)

    def save(self, path):
        with open(path, "w") as f:
            json.dump(self.doc, f, indent=None, separators=(",", ":"))
            f.write("\n")
        return path

    def __repr__(self):
        return "<fwtax capture %s: %d calls, %d aten ops, batch %d>" % (
            self.name, len(self.ops), self.aten_op_count(), self.doc["input"]["batch"])


def _input_of(inputs):
    first = next((x for x in inputs if isinstance(x, torch.Tensor)), None)
    if first is None or first.dim() == 0:
        raise ValueError("fwtax.capture: example_inputs must hold a tensor whose first dimension is the batch")
    if first.dim() == 4 and first.is_floating_point():
        return {"kind": "image", "batch": first.shape[0], "size": first.shape[-1]}
    if first.dim() == 2 and not first.is_floating_point():
        return {"kind": "tokens", "batch": first.shape[0], "size": first.shape[1]}
    return {"kind": "tensor", "batch": first.shape[0], "size": 0}


def _forward_events(module, inputs, params, paths):
    events = []
    hooks = []

    def pre(m, _inputs):
        events.append({"module": paths[m], "type": type(m).__name__, "leaf": not any(True for _ in m.children())})

    def post(m, _inputs, _output):
        events.append({"end": paths[m]})

    for m in paths:
        hooks.append(m.register_forward_pre_hook(pre))
        hooks.append(m.register_forward_hook(post))
    dispatched = _Dispatched(params)
    calls = _Calls(dispatched, params, events)
    try:
        with torch.no_grad(), dispatched, calls:
            module(*inputs)
    finally:
        for h in hooks:
            h.remove()
    return events


def _same_structure(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        if "shape" in a:
            return "shape" in b and len(a["shape"]) == len(b["shape"])
        # The aten ops under a call may differ with the batch (meta tensors take SDPA's math path,
        # which copies or views by shape); they only matter for a Python call replayed op by op.
        return a.keys() == b.keys() and all(
            _same_structure(a[k], b[k]) for k in a if k != "aten" or a.get("python"))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    return True  # scalars may differ (a view's sizes)


def _add_per_batch(a, b):
    """Adds "per_batch" (growth per sample of each dimension) to the tensors of `a`."""
    if isinstance(a, dict):
        if "shape" in a:
            growth = [y - x for x, y in zip(a["shape"], b["shape"])]
            if any(growth):
                a["per_batch"] = growth
            return
        for k in a:
            if k != "aten" or _same_structure(a[k], b[k]):
                _add_per_batch(a[k], b[k])
    elif isinstance(a, list):
        for x, y in zip(a, b):
            _add_per_batch(x, y)


def capture(module, example_inputs, name=None, device=None):
    """Runs `module(*example_inputs)` under torch.no_grad() and returns its Capture (twice: the second
    time one sample larger, to learn which dimensions grow with the batch).

    example_inputs: a tensor or a tuple of tensors; the first one's leading dimension is the batch.
    device="meta": run a copy of the module on the meta device (shapes only, nothing computed).
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError("fwtax.capture: expected a torch.nn.Module, got %s" % type(module).__name__)
    inputs = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    if device is not None:
        module = copy.deepcopy(module).to(device)
        inputs = tuple(x.to(device) if isinstance(x, torch.Tensor) else x for x in inputs)
    params = {id(p) for p in module.parameters()} | {id(b) for b in module.buffers()}
    paths = {m: (n or type(module).__name__) for n, m in module.named_modules()}
    batch = _input_of(inputs)["batch"]
    # A second forward one sample larger tells which dimensions grow with the batch, and by how much
    # (a flattened batch x sequence dimension grows by the sequence length).
    bigger = tuple(torch.cat([x, x[-1:]]) if isinstance(x, torch.Tensor) and x.dim() > 0 and x.shape[0] == batch
                   else x for x in inputs)
    events = _forward_events(module, inputs, params, paths)
    events_bigger = _forward_events(module, bigger, params, paths)
    if not _same_structure(events, events_bigger):
        raise ValueError("fwtax.capture: %s calls other ops at batch %d than at batch %d (data-dependent control "
                         "flow?); it cannot be captured for other batch sizes" % (type(module).__name__, batch, batch + 1))
    _add_per_batch(events, events_bigger)
    dtypes = collections.Counter(
        t["dtype"] for e in events if "op" in e for a in e["aten"] for t in a["inputs"]
        if t["dtype"] in ("float32", "float16", "bfloat16"))
    dtype = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}.get(
        dtypes.most_common(1)[0][0] if dtypes else "float32")
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "name": name or type(module).__name__,
        "source": "fwtax.capture of %s with torch %s on %s" % (
            type(module).__name__, torch.__version__, str(next(iter(module.parameters()), torch.empty(0)).device)),
        "dtype": dtype,
        "params": sum(p.numel() for p in module.parameters()),
        "input": _input_of(inputs),
        "events": events,
    }
    return Capture(doc)
