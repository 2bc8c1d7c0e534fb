"""Trace torchvision models' eager aten op sequences (torch 1.13 CPU).

Run with /usr/bin/python3 (Debian's; has torch 1.13 + torchvision 0.14).
Usage: OUT=dir /usr/bin/python3 calibrate/traces/trace_torchvision.py [model ...]

Nesting is taken from the profiler's exact call tree
(prof.profiler.kineto_results.experimental_event_tree()), NOT from
FunctionEvent.cpu_parent: the latter is rebuilt from microsecond-rounded
time ranges and misses parents when a child's rounded end exceeds its
parent's (seen in resnet18: a stray top-level aten::convolution).
"""
import json, sys, collections, os
import torch, torchvision
from torch.profiler import profile, ProfilerActivity
from torch.overrides import TorchFunctionMode

torch.set_num_threads(2)
OUT = os.environ.get("OUT", "/tmp/fwtax_research/torchvision")
MODELS = ["resnet18", "resnet50", "resnet101", "resnet152", "wide_resnet50_2", "resnext50_32x4d",
          "mobilenet_v2", "efficientnet_b0", "vgg16", "alexnet", "squeezenet1_0", "densenet121",
          "inception_v3", "googlenet", "shufflenet_v2_x1_0", "mnasnet1_0", "vit_b_16", "vit_b_32"]


VARIANTS = {  # extra, non-default configurations (file name -> (builder, kwargs))
    "inception_v3__transform_input": ("inception_v3", dict(transform_input=True)),
    "googlenet__transform_input": ("googlenet", dict(transform_input=True)),
}


def build(name):
    if name in VARIANTS:
        base, kw = VARIANTS[name]
        return getattr(torchvision.models, base)(weights=None, **kw)
    return getattr(torchvision.models, name)(weights=None)


def module_pass(model, x):
    """One plain forward with pre-hooks on every module (root included)."""
    counts = collections.Counter()
    convs, linears = [], []

    def hook(mod, inp):
        counts[type(mod).__name__] += 1
        if isinstance(mod, torch.nn.Conv2d):
            convs.append(dict(in_shape=list(inp[0].shape), cin=mod.in_channels, cout=mod.out_channels,
                              k=list(mod.kernel_size), stride=list(mod.stride), pad=list(mod.padding),
                              dil=list(mod.dilation), groups=mod.groups, bias=mod.bias is not None))
        elif isinstance(mod, torch.nn.Linear):
            linears.append(dict(in_shape=list(inp[0].shape), fin=mod.in_features, fout=mod.out_features,
                                bias=mod.bias is not None))

    hooks = [m.register_forward_pre_hook(hook) for m in model.modules()]
    cats = []

    class CatRecorder(TorchFunctionMode):
        # aten::cat takes a TensorList, whose shapes the 1.13 profiler records as [];
        # capture them here at the torch-function level instead.
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func in (torch.cat, torch.concat):
                dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
                cats.append(dict(inputs=[list(t.shape) for t in args[0]], dim=dim))
            return func(*args, **kwargs)

    with torch.no_grad(), CatRecorder():
        model(x)
    for h in hooks:
        h.remove()
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), convs, linears, cats


def walk(ev, depth=0):
    yield ev, depth
    for c in ev.children:
        yield from walk(c, depth + 1)


def top_aten(roots):
    """aten ops not nested inside another aten op (descend through non-aten wrappers)."""
    out = []
    def rec(ev):
        if ev.name.startswith("aten::"):
            out.append(ev)
        else:
            for c in ev.children:
                rec(c)
    for r in roots:
        rec(r)
    out.sort(key=lambda e: e.start_time_ns)
    return out


def scalars(ev):
    try:
        iv = ev.extra_fields.inputs.ivalues
        return [v if isinstance(v, (int, float, bool, str)) or v is None else str(v) for v in iv]
    except Exception:
        return None


def conv_backend(ev):
    """For aten::conv2d: the op aten::_convolution dispatched to (mkldnn_convolution, thnn_conv2d, ...)."""
    for d, _ in walk(ev):
        if d.name == "aten::_convolution":
            return [c.name for c in d.children]
    return None


def run(name):
    torch.manual_seed(0)
    model = build(name).eval()
    size = 299 if name.startswith("inception_v3") else 224
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        for _ in range(2):
            model(x)
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            model(x)
    roots = prof.profiler.kineto_results.experimental_event_tree()
    all_evs = [e for r in roots for e, _ in walk(r)]
    aten_all = [e for e in all_evs if e.name.startswith("aten::")]
    non_aten = collections.Counter(e.name for e in all_evs if not e.name.startswith("aten::"))
    top = top_aten(roots)
    # cross-check against FunctionEvent list
    n_fe = sum(1 for e in prof.events() if e.name.startswith("aten::"))

    counts = collections.Counter(e.name for e in top)
    all_counts = collections.Counter(e.name for e in aten_all)
    mod_counts, convs, linears, cats = module_pass(model, x)
    res = dict(
        model=name,
        input_shape=list(x.shape),
        torch=torch.__version__, torchvision=torchvision.__version__,
        top_level_ops=[[e.name, [list(s) for s in e.extra_fields.inputs.shapes]] for e in top],
        top_level_counts=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        n_top_level=len(top),
        n_aten_events=len(aten_all),
        n_aten_events_function_events=n_fe,
        module_calls=mod_counts,
        # extras
        top_level_detail=[dict(name=e.name, scalars=scalars(e), children=[c.name for c in e.children],
                               **({"conv_backend": conv_backend(e)} if e.name == "aten::conv2d" else {}))
                          for e in top],
        all_aten_counts=dict(sorted(all_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        non_aten_event_counts=dict(non_aten),
        conv2d_modules_in_call_order=convs,
        linear_modules_in_call_order=linears,
        cat_calls_in_order=cats,
    )
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(res, f, indent=1)
    print(name, res["n_top_level"], res["n_aten_events"], n_fe, res["top_level_counts"], flush=True)
    print("   modules:", mod_counts, flush=True)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for n in (sys.argv[1:] or MODELS + list(VARIANTS)):
        run(n)
