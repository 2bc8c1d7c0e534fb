#!/usr/bin/env python3
"""Counts the nodes PyTorch's profiling graph executor runs for a traced, non-frozen model, as the
Framework Tax paper ran TorchScript (torch.jit.trace of the eval model after requires_grad_(False),
no freeze, no torch.no_grad(); JaredFern/Framework-Tax a36b38d, pytorch/benchmark.py), after the
warm-up calls its timer made. Two blocks written as the paper's libraries write them: a BERT layer
(transformers 4.22: eager attention, additive mask, dropouts) and a ResNet bottleneck (torchvision:
in-place ReLU and residual add). On a CPU no fuser runs (nvFuser needs CUDA tensors), so this shows
what the interpreter dispatches besides the aten ops the builders emit: attribute reads (the weights,
read from the module on every call when the graph is not frozen), shape arithmetic and lists.

  /usr/bin/python3 calibrate/derive/count_torchscript_nodes.py   # Debian's torch 1.13; from the repository root
"""
import collections
import datetime
import json
import math
import platform

import torch

OUT = "data/measured/node-costs-2026-12/torchscript-1.13-traced-nodes.json"


class SelfAttention(torch.nn.Module):
    def __init__(self, hidden=768, heads=12):
        super().__init__()
        self.heads, self.head = heads, hidden // heads
        self.query, self.key, self.value = (torch.nn.Linear(hidden, hidden) for _ in range(3))
        self.dropout = torch.nn.Dropout(0.1)

    def split(self, x):
        return x.view(x.size()[:-1] + (self.heads, self.head)).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head) + mask
        probs = self.dropout(torch.nn.functional.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.heads * self.head,))


class Output(torch.nn.Module):
    def __init__(self, inner, hidden):
        super().__init__()
        self.dense, self.dropout, self.LayerNorm = torch.nn.Linear(inner, hidden), torch.nn.Dropout(0.1), torch.nn.LayerNorm(hidden)

    def forward(self, h, x):
        return self.LayerNorm(self.dropout(self.dense(h)) + x)


class BertLayer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.attention, self.attention_output = SelfAttention(), Output(768, 768)
        self.intermediate, self.output = torch.nn.Linear(768, 3072), Output(3072, 768)

    def forward(self, x, mask):
        a = self.attention_output(self.attention(x, mask), x)
        return self.output(torch.nn.functional.gelu(self.intermediate(a)), a)


class Bottleneck(torch.nn.Module):
    def __init__(self, c=256, w=64):
        super().__init__()
        self.conv1, self.bn1 = torch.nn.Conv2d(c, w, 1, bias=False), torch.nn.BatchNorm2d(w)
        self.conv2, self.bn2 = torch.nn.Conv2d(w, w, 3, padding=1, bias=False), torch.nn.BatchNorm2d(w)
        self.conv3, self.bn3 = torch.nn.Conv2d(w, c, 1, bias=False), torch.nn.BatchNorm2d(c)
        self.relu = torch.nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += x
        return self.relu(out)


def count(model, inputs):
    model = model.eval().requires_grad_(False)
    traced = torch.jit.trace(model, inputs)
    for _ in range(5):  # the paper's timer ran the model 5 times before timing
        traced(*inputs)
    graph = torch.jit.last_executed_optimized_graph()
    kinds = collections.Counter(n.kind() for n in graph.nodes())
    shape = ("aten::size", "prim::ListConstruct", "prim::NumToTensor", "aten::Int")
    return {
        "nodes": dict(sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))),
        "aten_ops": sum(v for k, v in kinds.items() if k.startswith("aten::") and k not in shape),
        "attribute_reads": kinds.get("prim::GetAttr", 0),
        "shape_nodes": sum(kinds.get(k, 0) for k in shape),
    }


def main():
    torch.manual_seed(0)
    result = {
        "env": {"torch": torch.__version__, "python": platform.python_version(), "cpu": platform.processor() or platform.machine(),
                "profiled_runs": torch._C._jit_get_num_profiled_runs(), "date": datetime.date.today().isoformat()},
        "bert_layer": count(BertLayer(), (torch.randn(1, 128, 768), torch.zeros(1, 1, 1, 128))),
        "resnet_bottleneck": count(Bottleneck(), (torch.randn(1, 256, 14, 14),)),
        "source": "calibrate/derive/count_torchscript_nodes.py: node kinds of torch.jit.last_executed_optimized_graph() "
                  "after 5 calls of a traced, non-frozen block (CPU: no fuser); prim::Constant nodes cost nothing at run time",
    }
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
