// Workload passes (model/passes.cpp) and the versioned stacks that list them.
#include <doctest/doctest.h>

#include <fstream>

#include "model/arch/architecture.hpp"
#include "model/arch/transformer_parts.hpp"
#include "model/builder.hpp"
#include "model/catalog.hpp"
#include "model/engine.hpp"
#include "model/passes.hpp"
#include "tests/test_util.hpp"
#include "validate/measured.hpp"

using namespace fwtax;

namespace {

Backend gpu_backend() {
  Backend b;
  b.gpu = true;
  return b;
}

std::vector<const WorkloadPass*> passes(std::initializer_list<const char*> names) {
  std::vector<const WorkloadPass*> out;
  for (const char* n : names) {
    const WorkloadPass* p = find_workload_pass(n);
    REQUIRE(p != nullptr);
    out.push_back(p);
  }
  return out;
}

std::size_t ops_of(const Workload& w, OpClass c) {
  std::size_t n = 0;
  for (const Op& op : w.ops) n += op.cls == c ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("fusing a residual add into the layer norm after it reads the add's output from registers") {
  Workload w;
  w.config.dtype = DType::fp16;
  Builder b(w, gpu_backend(), DType::fp16);
  const double rows = 128, cols = 768, elems = rows * cols;
  b.linear(rows, cols, cols);
  b.dropout();
  b.elementwise("aten::add", elems, 2);
  b.layer_norm(rows, cols);
  const std::size_t gemm_kernels = w.ops.front().kernel_count;
  const double unfused_bytes = w.kernels[gemm_kernels].bytes + w.kernels[gemm_kernels + 1].bytes;
  apply_passes(w, passes({"fuse_pointwise"}), PassContext{true});
  // The linear and the fused group: the dropout before the add is the group's first member (nvFuser
  // parses aten::dropout in eval as the identity), no node of its own.
  REQUIRE(w.ops.size() == 2);
  CHECK(w.ops[0].cls == OpClass::linear);
  CHECK(w.name(w.ops[1].name) == "prim::CudaFusionGroup");
  CHECK(w.ops[1].fused);
  REQUIRE(w.ops[1].kernel_count == 1);
  const Kernel& k = w.kernels[w.ops[1].first_kernel];
  CHECK(k.kind == KernelKind::norm);
  // The add's output (2 bytes x elems) is neither written nor read back.
  CHECK(k.bytes == test::approx(unfused_bytes - 2 * 2 * elems));
  CHECK(w.kernels.size() == gemm_kernels + 1);
}

TEST_CASE("the pointwise fuser stops at GEMMs and views, keeps lone ops, and leaves CPUs alone") {
  Workload w;
  Builder b(w, gpu_backend(), DType::fp32);
  b.elementwise("aten::mul", 1000, 1);
  b.linear(10, 100, 100);
  b.elementwise("aten::gelu", 1000, 1);
  b.view("aten::transpose");
  b.elementwise("aten::add", 1000, 2);
  b.softmax(10, 100);
  b.softmax(10, 100);
  Workload cpu = w;
  apply_passes(w, passes({"fuse_pointwise"}), PassContext{true});
  // mul | linear | gelu | transpose | (add + softmax) | softmax: a second reduction starts a new group.
  CHECK(w.ops.size() == 6);
  CHECK(w.name(w.ops[0].name) == "aten::mul");
  CHECK(w.name(w.ops[2].name) == "aten::gelu");
  CHECK(w.name(w.ops[4].name) == "prim::CudaFusionGroup");
  CHECK(w.name(w.ops[5].name) == "aten::softmax");
  std::size_t before = cpu.ops.size();
  apply_passes(cpu, passes({"fuse_pointwise"}), PassContext{false});
  CHECK(cpu.ops.size() == before);
}

TEST_CASE("the TensorExpr fuser (NNC) fuses functional pointwise chains only: in-place ops, norms and softmax stay") {
  Workload w;
  Builder b(w, gpu_backend(), DType::fp32);
  b.elementwise("aten::div", 1000, 1);
  b.elementwise("aten::add", 1000, 2);  // div + add: one TensorExprGroup
  b.softmax(10, 100);
  b.elementwise("aten::relu_", 1000, 1);
  b.elementwise("aten::add_", 1000, 2);  // in-place: not the fuser's
  b.elementwise("aten::mul", 1000, 2);
  b.layer_norm(10, 100);  // a norm breaks the chain: mul stays alone
  Workload nvfuser = w, cpu = w;
  apply_passes(w, passes({"fuse_pointwise_te"}), PassContext{true});
  REQUIRE(w.ops.size() == 6);
  CHECK(w.name(w.ops[0].name) == "prim::TensorExprGroup");
  CHECK(w.ops[0].fused);
  CHECK(w.name(w.ops[1].name) == "aten::softmax");
  CHECK(w.name(w.ops[2].name) == "aten::relu_");
  CHECK(w.name(w.ops[3].name) == "aten::add_");
  CHECK(w.name(w.ops[4].name) == "aten::mul");
  CHECK(w.name(w.ops[5].name) == "aten::layer_norm");
  // nvFuser (PyTorch 1.12 from Volta) takes in-place ops and norms: (div + add + softmax), then
  // (relu_ + add_ + mul + layer_norm) after the second reduction starts a new group.
  apply_passes(nvfuser, passes({"fuse_pointwise"}), PassContext{true});
  CHECK(nvfuser.ops.size() == 2);
  const std::size_t before = cpu.ops.size();
  apply_passes(cpu, passes({"fuse_pointwise_te"}), PassContext{false});
  CHECK(cpu.ops.size() == before);
}

TEST_CASE("torchscript@1.12 fuses with nvFuser from compute capability 7.0 and with NNC before; an unknown GPU is the newest") {
  const Catalog& c = Catalog::builtin();
  const FrameworkSpec ts = c.framework("torchscript@1.12");
  auto names = [&](const DeviceSpec& d) {
    std::vector<std::string> out;
    for (const WorkloadPass* p : passes_for(d, ts)) out.emplace_back(p->name);
    return out;
  };
  CHECK(c.device("1080ti").compute_capability == 6.1);
  CHECK(names(c.device("1080ti")) == std::vector<std::string>{"fuse_pointwise_te"});
  CHECK(names(c.device("titanx")) == std::vector<std::string>{"fuse_pointwise_te"});
  CHECK(names(c.device("v100")) == std::vector<std::string>{"fuse_pointwise"});
  CHECK(names(c.device("rtx8000")) == std::vector<std::string>{"fuse_pointwise"});
  DeviceSpec unknown = c.device("v100");
  unknown.compute_capability = 0;
  CHECK(names(unknown) == std::vector<std::string>{"fuse_pointwise"});
  // ResNet-50 on a Pascal GPU: torchvision's in-place relu_ and add_ keep every batch norm and
  // activation an op of its own, so the traced graph runs as many kernels as eager.
  WorkloadConfig cfg{"resnet50", DType::fp32, 1, 0, 224};
  const Architecture* a = find_builtin_architecture("resnet50");
  REQUIRE(a != nullptr);
  auto kernels = [&](const char* device, const char* framework) {
    return build_workload(*a, cfg, make_backend(c.device(device), c.framework(framework))).kernels.size();
  };
  CHECK(kernels("1080ti", "torchscript@1.12") == kernels("1080ti", "pytorch-eager"));
  CHECK(kernels("v100", "torchscript@1.12") < kernels("v100", "pytorch-eager"));
}

TEST_CASE("the pointwise fuser takes a dropout next to a fusible op into its group; one between GEMMs stays") {
  Workload w;
  Builder b(w, gpu_backend(), DType::fp32);
  b.linear(128, 768, 768);
  b.dropout();  // between two GEMMs: no group to join
  b.linear(128, 768, 3072);
  b.elementwise("aten::gelu", 128 * 3072, 1);
  b.dropout();  // after a lone GELU: the two make a group (timm's Mlp: act, then drop)
  b.linear(128, 3072, 768);
  apply_passes(w, passes({"fuse_pointwise"}), PassContext{true});
  REQUIRE(w.ops.size() == 5);
  CHECK(w.ops[1].noop);
  CHECK(w.name(w.ops[3].name) == "prim::CudaFusionGroup");
  REQUIRE(w.ops[3].kernel_count == 1);
  CHECK(w.kernels[w.ops[3].first_kernel].elements == 128 * 3072);
  CHECK(w.ops[4].cls == OpClass::linear);
}

TEST_CASE("dropping no-ops removes dropout and nothing that launches a kernel") {
  const Catalog& c = Catalog::builtin();
  WorkloadConfig cfg{"bert-base", DType::fp32, 1, 128, 0};
  const Architecture* a = find_builtin_architecture("bert-base");
  Workload eager = build_workload(*a, cfg, make_backend(c.device("h100"), c.framework("pytorch-eager")));
  Workload dropped = eager;
  apply_passes(dropped, passes({"drop_noop_ops"}), PassContext{true});
  std::size_t noops = 0;
  for (const Op& op : eager.ops) noops += op.noop ? 1 : 0;
  CHECK(noops > 0);
  CHECK(dropped.ops.size() == eager.ops.size() - noops);
  CHECK(dropped.kernels.size() == eager.kernels.size());
  CHECK(dropped.total_flops() == eager.total_flops());
}

namespace {

std::size_t ops_named(const Workload& w, std::string_view part) {
  std::size_t n = 0;
  for (const Op& op : w.ops) n += w.name(op.name).find(part) != std::string::npos ? 1 : 0;
  return n;
}

std::size_t kernels_of(const Workload& w, KernelKind kind) {
  std::size_t n = 0;
  for (const Kernel& k : w.kernels) n += k.kind == kind ? 1 : 0;
  return n;
}

Workload ort_workload(const char* model, DType dtype, long long batch = 8,
                      const char* framework = "onnxruntime@1.12", const char* device = "rtx8000") {
  const Catalog& c = Catalog::builtin();
  WorkloadConfig cfg{model, dtype, batch, 0, 224};
  const Architecture* a = find_builtin_architecture(model);
  REQUIRE(a != nullptr);
  return build_workload(*a, cfg, make_backend(c.device(device), c.framework(framework)));
}

}  // namespace

TEST_CASE("ONNX Runtime's fusions fold batch norms and put bias and activation into a float convolution") {
  const Catalog& c = Catalog::builtin();
  WorkloadConfig cfg{"resnet50", DType::fp32, 8, 0, 224};
  const Architecture* a = find_builtin_architecture("resnet50");
  DeviceSpec d = c.device("rtx8000");
  Workload eager = build_workload(*a, cfg, make_backend(d, c.framework("pytorch-eager")));
  Workload ort = ort_workload("resnet50", DType::fp32);
  CHECK(ops_of(eager, OpClass::conv) == 53);
  CHECK(ops_of(ort, OpClass::conv) == 53);
  CHECK(ops_of(ort, OpClass::batch_norm) == 0);
  // Every ReLU of ResNet-50 follows a convolution (or the residual add after one): all are absorbed.
  // Where two convolutions feed a residual add (the 4 blocks with a downsampling shortcut), one takes
  // the add and the ReLU; the other keeps its bias as a kernel of its own.
  CHECK(ops_named(eager, "relu") > 0);
  CHECK(ops_named(ort, "relu") == 0);
  CHECK(ops_named(ort, "aten::add") == 0);
  CHECK(ops_named(ort, "FusedConv") == 49);
  CHECK(kernels_of(ort, KernelKind::strided) == 4);
  CHECK(ort.kernels.size() < eager.kernels.size());
  CHECK(ort.total_flops() < eager.total_flops());
  CHECK(ort.total_flops() > 0.95 * eager.total_flops());  // the convolutions' work is all there
}

TEST_CASE("ONNX Runtime fuses no half convolution: its bias, residual add and ReLU stay kernels of their own") {
  Workload f32 = ort_workload("resnet50", DType::fp32);
  Workload f16 = ort_workload("resnet50", DType::fp16);
  CHECK(ops_of(f16, OpClass::batch_norm) == 0);  // the export folds them whatever the dtype
  CHECK(ops_named(f16, "FusedConv") == 0);
  CHECK(ops_named(f32, "FusedConv") == 49);
  // Each convolution adds its folded bias after it (cudnnAddTensor); the 16 residual adds and the
  // ReLUs run as nodes, none fused with another (no ONNX Runtime fusion takes a pointwise pair).
  CHECK(kernels_of(f16, KernelKind::strided) == 53);
  CHECK(ops_named(f16, "aten::add") == 16);
  CHECK(ops_named(f16, "relu") == ops_named(ort_workload("resnet50", DType::fp16, 1), "relu"));
  CHECK(ops_named(f16, "relu") >= 33);
  CHECK(ops_named(f16, "FusedNode") == 0);
}

TEST_CASE("under onnxruntime@1.12 the host waits for the GPU after each FusedConv, on GPUs only") {
  Workload f32 = ort_workload("resnet50", DType::fp32);
  std::size_t waits = 0;
  for (const Op& op : f32.ops) {
    if (f32.name(op.name) == "FusedConv") CHECK(op.sync);
    waits += op.sync ? 1 : 0;
  }
  CHECK(waits == 49);  // the FusedConvs, nothing else
  Workload f16 = ort_workload("resnet50", DType::fp16);  // plain Conv nodes: the host runs ahead
  for (const Op& op : f16.ops) CHECK_FALSE(op.sync);
  // The pass itself: a CPU's workload is left alone.
  Workload cpu = f32;
  for (Op& op : cpu.ops) op.sync = false;
  apply_passes(cpu, passes({"host_waits_on_fused_conv"}), PassContext{false});
  for (const Op& op : cpu.ops) CHECK_FALSE(op.sync);
  apply_passes(cpu, passes({"host_waits_on_fused_conv"}), PassContext{true});
  waits = 0;
  for (const Op& op : cpu.ops) waits += op.sync ? 1 : 0;
  CHECK(waits == 49);
  // What it does to a call: the host's time and the kernels' add up instead of overlapping, so
  // ResNet-50 fp32 at batch 1 takes at least both (measured on the RTX 8000: 2.80 ms).
  const Catalog& c = Catalog::builtin();
  const DeviceSpec d = c.device("rtx8000");
  const FrameworkSpec ort = c.framework_on(d, "onnxruntime@1.12");
  SimOptions o;
  o.measure = Measure::pipelined;
  Workload b1 = ort_workload("resnet50", DType::fp32, 1);
  const SimResult r = simulate(b1, d, ort, o);
  CHECK(r.latency_s >= 0.95 * (r.host_busy_s + r.gpu_busy_s));
  CHECK(r.host_waits == 49);
  CHECK(r.host_wait_s > 0.5 * r.gpu_busy_s);
  for (Op& op : b1.ops) op.sync = false;
  const SimResult overlapped = simulate(b1, d, ort, o);
  CHECK(overlapped.latency_s < 0.75 * r.latency_s);
}

TEST_CASE("ONNX Runtime's CUDA FusedConv takes a ReLU, not a ReLU6, and a norm not after a convolution stays") {
  // MobileNet-v2's ReLU6 is a Clip in the exported graph: not fused on the CUDA provider.
  Workload mobilenet = ort_workload("mobilenet-v2", DType::fp32);
  const Catalog& c = Catalog::builtin();
  WorkloadConfig mcfg{"mobilenet-v2", DType::fp32, 8, 0, 224};
  Workload mobilenet_eager = build_workload(*find_builtin_architecture("mobilenet-v2"), mcfg,
                                            make_backend(c.device("rtx8000"), c.framework("pytorch-eager")));
  CHECK(ops_named(mobilenet, "hardtanh") == ops_named(mobilenet_eager, "hardtanh"));
  CHECK(ops_named(mobilenet, "hardtanh") > 30);
  CHECK(ops_named(mobilenet, "FusedConv") == 0);
  CHECK(ops_of(mobilenet, OpClass::batch_norm) == 0);  // each follows a convolution (depthwise too)
  // DenseNet's pre-activation batch norms follow a concatenation: the export keeps them.
  const Architecture* a = find_builtin_architecture("densenet161");
  REQUIRE(a != nullptr);
  WorkloadConfig cfg{"densenet161", DType::fp32, 8, 0, 224};
  Workload eager = build_workload(*a, cfg, make_backend(c.device("rtx8000"), c.framework("pytorch-eager")));
  Workload ort = ort_workload("densenet161", DType::fp32);
  const std::size_t kept = ops_of(ort, OpClass::batch_norm);
  CHECK(kept > 0);
  CHECK(kept < ops_of(eager, OpClass::batch_norm));
  CHECK(kept + ops_named(ort, "FusedConv") + ops_of(ort, OpClass::conv) - ops_named(ort, "FusedConv") >=
        ops_of(eager, OpClass::batch_norm));
}

TEST_CASE("ONNX Runtime fuses pointwise ops around a norm, not a chain of pointwise ops alone") {
  Workload w;
  w.config.dtype = DType::fp16;
  Builder b(w, gpu_backend(), DType::fp16);
  const double rows = 128, cols = 768, elems = rows * cols;
  b.elementwise("aten::mul", elems, 1);
  b.elementwise("aten::add", elems, 2);
  b.linear(rows, cols, cols);
  b.elementwise("aten::add", elems, 2);
  b.layer_norm(rows, cols);
  apply_passes(w, passes({"ort_fusions"}), PassContext{true});
  REQUIRE(w.ops.size() == 4);  // mul | add | linear | (add + layer norm)
  CHECK(w.name(w.ops[0].name) == "aten::mul");
  CHECK(w.name(w.ops[1].name) == "aten::add");
  CHECK(w.name(w.ops[3].name) == "com.microsoft::FusedNode");
}

TEST_CASE("NAME@VERSION selects a stack's data file, and validate's filter re-targets unversioned runs") {
  const Catalog& c = Catalog::builtin();
  FrameworkSpec ts = c.framework("torchscript@1.12");
  CHECK(ts.name == "torchscript@1.12");
  CHECK(ts.version == "1.12");
  CHECK(ts.mode == ExecMode::script);
  REQUIRE(ts.passes.size() == 2);
  CHECK(ts.passes[0].name == "fuse_pointwise");
  CHECK(ts.passes[0].compute_capability_min == 7.0);
  CHECK(ts.passes[1].name == "fuse_pointwise_te");
  CHECK(ts.passes[1].compute_capability_below == 7.0);
  FrameworkSpec ort = c.framework("onnxruntime@1.12");
  CHECK(ort.mode == ExecMode::executor);
  CHECK(test::messages_of([&] { c.framework("torchscript@0.1"); }).size() == 1);
  CHECK(select_framework({"torchscript@1.12"}, "torchscript") == "torchscript@1.12");
  CHECK(select_framework({"torchscript@1.12"}, "torchscript@1.12") == "torchscript@1.12");
  CHECK(select_framework({"torchscript"}, "torchscript@1.12") == "torchscript@1.12");
  CHECK(select_framework({"torchscript@1.12"}, "pytorch-eager").empty());
  CHECK(select_framework({"onnxruntime@1.12"}, "torchscript@1.12").empty());
}

TEST_CASE("torchscript@1.12 runs a small fp32 GEMM as one kernel, PyTorch 2.x as cuBLASLt's four-kernel split-K") {
  // BERT's 128x768x768 projections at batch 1 on the RTX 8000 (72 SMs): 24 output tiles, too few.
  const Catalog& c = Catalog::builtin();
  const DeviceSpec d = c.device("rtx8000");
  auto kernels_of_linear = [&](const char* framework) {
    const FrameworkSpec f = c.framework(framework);
    Workload w;
    Builder b(w, make_backend(d, f), DType::fp32);
    b.linear(128, 768, 768);
    REQUIRE(w.ops.size() == 1);
    return w.ops.front().kernel_count;
  };
  CHECK(c.framework("pytorch-eager").gemm_split_k);
  CHECK(kernels_of_linear("pytorch-eager") == 4);
  CHECK_FALSE(c.framework("torchscript@1.12").gemm_split_k);
  CHECK(kernels_of_linear("torchscript@1.12") == 1);
  // ONNX Runtime 1.12 calls cuBLAS's legacy GEMMs, but one-kernel GEMMs made its paper runs a little
  // worse (22.76% -> 22.82%), so its file keeps the split-K (calibrate/derive/derive_stacks_2022.py).
  CHECK(kernels_of_linear("onnxruntime@1.12") == 4);
}

TEST_CASE("Inductor's fusions: one generated kernel between library calls, views and modules gone") {
  Workload w;
  Builder b(w, gpu_backend(), DType::fp32);
  b.module(OpClass::module_heavy, "layer");
  b.linear(128, 768, 768);
  b.view("aten::view");
  b.dropout();
  b.elementwise("aten::add", 128 * 768, 2);
  b.layer_norm(128, 768);
  b.linear(128, 768, 3072);
  b.elementwise("aten::gelu", 128 * 3072, 1);
  b.softmax(128, 3072);
  b.softmax(128, 3072);
  const double flops = w.total_flops();
  apply_passes(w, passes({"inductor_fusions"}), PassContext{true});
  // linear | (add + layer norm) | linear | (gelu + softmax) | softmax: a second reduction starts a new kernel.
  REQUIRE(w.ops.size() == 5);
  CHECK(w.ops[0].cls == OpClass::linear);
  CHECK(w.ops[2].cls == OpClass::linear);
  for (int i : {1, 3, 4}) {
    CAPTURE(i);
    CHECK(w.ops[i].fused);
    CHECK(w.ops[i].cls == OpClass::elementwise);
    CHECK(w.ops[i].kernel_count == 1);
  }
  CHECK(w.kernels[w.ops[1].first_kernel].kind == KernelKind::norm);
  CHECK(w.kernels[w.ops[3].first_kernel].kind == KernelKind::softmax);
  CHECK(w.total_flops() == test::approx(flops));  // fusing moves work, it does not remove it
  for (const Op& op : w.ops) CHECK(!is_module_class(op.cls));
}

TEST_CASE("HF's gelu_new: its Python numbers are kernel arguments, and a fused kernel reads its input once") {
  const double elems = 128 * 3072, elem = 2;  // fp16
  Workload w;
  w.config.dtype = DType::fp16;
  Builder b(w, gpu_backend(), DType::fp16);
  b.linear(128, 768, 3072);
  parts::activation(b, "gelu_new", elems);
  b.linear(128, 3072, 768);
  // Eight kernels of their own: 0.5 * x, pow(x, 3), 0.044715 * _, x + _, sqrt(2 / pi) * _, tanh, 1 + _,
  // _ * _: two read two tensors, the other six one (a number is no tensor), each writes one.
  double eager = 0;
  std::size_t n = 0;
  for (const Op& op : w.ops)
    if (op.cls == OpClass::elementwise)
      for (std::size_t k = op.first_kernel; k < op.first_kernel + op.kernel_count; ++k) eager += w.kernels[k].bytes, ++n;
  CHECK(n == 8);
  CHECK(eager == test::approx((6 * 2 + 2 * 3) * elems * elem));
  apply_passes(w, passes({"inductor_fusions"}), PassContext{true});
  // One generated kernel: x loaded once (not by each of its three readers), the result written once.
  REQUIRE(w.ops.size() == 3);
  REQUIRE(w.ops[1].fused);
  CHECK(w.kernels[w.ops[1].first_kernel].bytes == test::approx(2 * elems * elem));
}

TEST_CASE("a fused pre-norm residual add still writes the residual stream it keeps") {
  const double rows = 1024, cols = 768, elems = rows * cols, elem = 2;  // fp16
  auto fused_bytes = [&](bool kept) {
    Workload w;
    w.config.dtype = DType::fp16;
    Builder b(w, gpu_backend(), DType::fp16);
    b.linear(rows, cols, cols);
    b.elementwise("aten::add", elems, 2);
    if (kept) b.keep_output();
    b.layer_norm(rows, cols);
    b.linear(rows, cols, cols);
    apply_passes(w, passes({"inductor_fusions"}), PassContext{true});
    REQUIRE(w.ops.size() == 3);
    REQUIRE(w.ops[1].fused);
    return w.kernels[w.ops[1].first_kernel].bytes;
  };
  // Post-norm (BERT): the sum lives in registers only. Pre-norm (GPT-2): it is written once more.
  CHECK(fused_bytes(true) - fused_bytes(false) == test::approx(elems * elem));
}

TEST_CASE("Inductor peels a GPU convolution's bias into the kernel after it, and runs ResNets channels-last") {
  const Catalog& c = Catalog::builtin();
  DeviceSpec d = c.device("h100");
  for (const char* model : {"resnet50", "vgg16", "mobilenet-v2"}) {
    CAPTURE(model);
    const Architecture* a = find_builtin_architecture(model);
    REQUIRE(a != nullptr);
    WorkloadConfig cfg{model, DType::fp16, 8, 0, 224};
    Workload eager = build_workload(*a, cfg, make_backend(d, c.framework("pytorch-eager")));
    Workload comp = build_workload(*a, cfg, make_backend(d, c.framework("torch-compile")));
    std::size_t layout = 0, eager_layout = 0, strided_in_conv = 0;
    for (const Kernel& k : eager.kernels) eager_layout += k.kind == KernelKind::layout ? 1 : 0;
    for (const Kernel& k : comp.kernels) layout += k.kind == KernelKind::layout ? 1 : 0;
    for (const Op& op : comp.ops)
      if (op.cls == OpClass::conv)
        for (std::uint32_t i = 0; i < op.kernel_count; ++i)
          strided_in_conv += comp.kernels[op.first_kernel + i].kind == KernelKind::strided ? 1 : 0;
    CHECK(strided_in_conv == 0);
    CHECK(ops_of(comp, OpClass::conv) == ops_of(eager, OpClass::conv));
    CHECK(ops_of(comp, OpClass::batch_norm) == 0);  // decomposed and fused with what follows
    CHECK(comp.kernels.size() < eager.kernels.size());
    CHECK(comp.total_flops() == test::approx(eager.total_flops()).epsilon(1e-9));
    // MobileNet-v2's ReLU6 (hardtanh) is a clamp in every kernel it is fused into; ResNet's ReLU is not.
    std::size_t clamps = 0;
    for (const Kernel& k : comp.kernels) clamps += k.clamp ? 1 : 0;
    CHECK((clamps > 0) == (std::string(model) == "mobilenet-v2"));
    // No grouped convolutions: channels-last, so cuDNN's transforms go.
    if (std::string(model) != "mobilenet-v2") {
      CHECK(eager_layout > 0);
      CHECK(layout == 0);
    }
  }
}

TEST_CASE("the compiled modes' files: the wrapper policy, Inductor's pass, graphs only in reduce-overhead") {
  const Catalog& c = Catalog::builtin();
  FrameworkSpec tc = c.framework("torch-compile");
  CHECK(tc.mode == ExecMode::wrapper);
  CHECK(!tc.cuda_graphs);
  REQUIRE(tc.passes.size() == 1);
  CHECK(tc.passes.front().name == "inductor_fusions");
  FrameworkSpec ro = c.framework("torch-compile-reduce-overhead");
  CHECK(ro.mode == ExecMode::wrapper);
  CHECK(ro.cuda_graphs);
  CHECK(ro.passes == tc.passes);
}

namespace {

std::vector<const WorkloadPass*> tensorrt_passes() {
  return passes({"drop_noop_ops", "fold_batch_norm", "tensorrt_fusions"});
}

}  // namespace

TEST_CASE("TensorRT runs each convolution of a ResNet block with its batch norm, ReLU and residual add as one kernel") {
  Workload w;
  w.config.dtype = DType::fp16;
  Builder b(w, gpu_backend(), DType::fp16);
  const double n = 8, c = 64, hw = 56, elems = n * c * hw * hw;
  b.module(OpClass::module_block, "layer1.0");
  b.conv2d(n, c, hw, hw, c, 3, 3, 1, 1, 1, 1, false);
  b.batch_norm(n, c, hw, hw);
  b.elementwise("aten::relu_", elems, 1);
  b.conv2d(n, c, hw, hw, c, 3, 3, 1, 1, 1, 1, false);
  b.batch_norm(n, c, hw, hw);
  b.elementwise("aten::add_", elems, 2);  // the residual
  b.elementwise("aten::relu_", elems, 1);
  REQUIRE(w.kernels.size() > 8);  // transforms, batch norm's parameter conversion, ATen's kernels
  Workload folded = w;
  apply_passes(folded, passes({"drop_noop_ops", "fold_batch_norm"}), PassContext{true});
  apply_passes(w, tensorrt_passes(), PassContext{true});
  REQUIRE(w.ops.size() == 2);
  REQUIRE(w.kernels.size() == 2);
  for (const Op& op : w.ops) CHECK(op.cls == OpClass::conv);
  CHECK(kernels_of(w, KernelKind::conv) == 2);
  // The epilogue does the folded bias's, the ReLUs' and the add's work, and reads the residual once.
  CHECK(w.total_flops() == test::approx(folded.total_flops()));  // the transforms that went did no arithmetic
  const Kernel& second = w.kernels[1];
  double conv_bytes = 0;
  for (const Kernel& k : folded.kernels)
    if (k.kind == KernelKind::conv) conv_bytes = k.bytes;
  CHECK(second.bytes == test::approx(conv_bytes + 2 * elems));  // + the residual, 2 bytes an element
  CHECK(w.kernels[0].bytes == test::approx(conv_bytes));
}

TEST_CASE("TensorRT leaves a batch norm that follows no convolution to a pointwise kernel with its ReLU") {
  Workload w;
  Builder b(w, gpu_backend(), DType::fp32);
  const double n = 1, c = 96, hw = 56, elems = n * c * hw * hw;
  b.pool("aten::max_pool2d", 4 * elems, elems);
  b.concat(elems);             // DenseNet's concatenation: the layers before it write into its buffer
  b.batch_norm(n, c, hw, hw);  // DenseNet's pre-activation norm
  b.elementwise("aten::relu_", elems, 1);
  b.conv2d(n, c, hw, hw, 128, 1, 1, 1, 0, 0, 1, false);
  REQUIRE(ops_of(w, OpClass::copy) == 1);
  apply_passes(w, tensorrt_passes(), PassContext{true});
  // pool | (batch norm + ReLU) | convolution: the concatenation is gone
  REQUIRE(w.ops.size() == 3);
  CHECK(w.ops[0].cls == OpClass::pool);
  CHECK(w.ops[1].fused);
  CHECK(w.ops[1].kernel_count == 1);
  CHECK(w.ops[2].cls == OpClass::conv);
  CHECK(w.kernels.size() == 3);
}

TEST_CASE("TensorRT fuses a transformer layer: attention in one kernel, bias and GELU in the GEMMs, the norm alone") {
  Workload w;
  w.config.dtype = DType::fp16;
  Builder b(w, gpu_backend(), DType::fp16);
  const double batch = 2, seq = 128, hidden = 768, heads = 12, hd = 64, tokens = batch * seq;
  const double scores = batch * heads * seq * seq;
  b.module(OpClass::module_heavy, "encoder.layer.0");
  b.alloc_zeros(tokens);                     // an eager mask: a constant of the engine
  b.elementwise("aten::eq", tokens, 1);      // a host check: gone with its read-back
  b.sync_read("aten::is_nonzero");
  for (int i = 0; i < 3; ++i) b.linear(tokens, hidden, hidden);  // q, k, v
  b.view("aten::transpose");
  b.matmul(batch * heads, seq, seq, hd);
  b.elementwise("aten::div", scores, 1);
  b.broadcast_elementwise("aten::add", scores, 2);  // the mask
  b.softmax(batch * heads * seq, seq);
  b.dropout();
  b.matmul(batch * heads, seq, hd, seq);
  b.view("aten::permute");
  b.strided_copy("aten::contiguous", tokens * hidden);
  b.linear(tokens, hidden, hidden);
  b.dropout();
  b.elementwise("aten::add", tokens * hidden, 2);
  b.layer_norm(tokens, hidden);
  b.linear(tokens, hidden, 4 * hidden);
  b.elementwise("aten::gelu", tokens * 4 * hidden, 1);
  b.linear(tokens, 4 * hidden, hidden);
  b.elementwise("aten::add", tokens * hidden, 2);
  b.layer_norm(tokens, hidden);
  const std::size_t eager_kernels = w.kernels.size();
  double matmul_flops = 0;
  for (const Op& op : w.ops)
    if (op.cls == OpClass::matmul) matmul_flops += w.kernels[op.first_kernel].flops;
  apply_passes(w, tensorrt_passes(), PassContext{true});
  // eq | q | k | v | attention | out proj (+ add) | norm | up (+ GELU) | down (+ add) | norm
  CHECK(eager_kernels == 20);
  REQUIRE(w.kernels.size() == 10);
  CHECK(kernels_of(w, KernelKind::attention) == 1);
  CHECK(kernels_of(w, KernelKind::gemm) == 6);
  CHECK(kernels_of(w, KernelKind::norm) == 2);
  CHECK(kernels_of(w, KernelKind::memset) == 0);
  for (const Op& op : w.ops) {
    CHECK(!op.sync);
    CHECK(!is_module_class(op.cls));
    CHECK(op.cls != OpClass::matmul);
    if (op.cls == OpClass::attention) {
      REQUIRE(op.kernel_count == 1);
      // Both products, the scale and the mask in one kernel that never writes the scores out.
      const Kernel& a = w.kernels[op.first_kernel];
      CHECK(a.flops > matmul_flops);
      CHECK(a.flops < matmul_flops * 1.05);  // + the scale, the mask add and the softmax
      CHECK(a.bytes == test::approx(4 * tokens * hidden * 2));  // q, k, v read, the output written
    }
  }
}

TEST_CASE("TensorRT's pass leaves a CPU workload alone") {
  Workload w;
  Backend cpu;
  cpu.gpu = false;
  Builder b(w, cpu, DType::fp32);
  b.linear(4, 16, 16);
  b.elementwise("aten::relu", 64, 1);
  const std::size_t before = w.kernels.size();
  apply_passes(w, passes({"tensorrt_fusions"}), PassContext{false});
  CHECK(w.kernels.size() == before);
}

TEST_CASE("the tensorrt file: the engine policy, TensorRT's pass after the folds, TF32 as TensorRT's default") {
  const Catalog& c = Catalog::builtin();
  FrameworkSpec t = c.framework("tensorrt");
  CHECK(t.mode == ExecMode::engine);
  CHECK(needs_gpu(t));
  CHECK(!t.cuda_graphs);
  std::vector<std::string> names;
  for (const FrameworkPass& step : t.passes) names.push_back(step.name);
  CHECK(names == std::vector<std::string>{"drop_noop_ops", "fold_batch_norm", "tensorrt_fusions"});
  CHECK(t.tf32_matmul);
  CHECK(t.tf32_conv);
  CHECK(!t.source.empty());
}

namespace {

Json read_json_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), path);
  return Json::parse(in);
}

const std::string kOrtCpu = std::string(FWTAX_SOURCE_DIR) + "/data/measured/ort-cpu-2026-12/";

// A zoo model (a built-in CNN, or the runs file's architecture of a transformer) as ONNX Runtime runs
// it on this CPU: the onnxruntime framework of the committed CPU profile, with its passes.
Workload ort_cpu_workload(const std::string& model, long long batch, const Json& runs,
                          const char* framework = "onnxruntime") {
  const Catalog& c = Catalog::builtin();
  DeviceSpec d = c.device(kOrtCpu + "cpu-profile-ort.json");
  const FrameworkSpec* f = d.framework(framework);
  REQUIRE(f != nullptr);
  for (const Json& r : runs["runs"])
    if (r["model"] == model && r.contains("arch")) {
      Architecture a = parse_architecture(r["arch"], "zoo-cpu-runs.json");
      return build_workload(a, WorkloadConfig{model, DType::fp32, batch, r["seq"].get<long long>(), 0}, make_backend(d, *f));
    }
  const Architecture* a = find_builtin_architecture(model);
  REQUIRE(a != nullptr);
  return build_workload(*a, WorkloadConfig{model, DType::fp32, batch, 0, 224}, make_backend(d, *f));
}

long count_of(const Json& op_types, const char* type) { return op_types.value(type, 0L); }

}  // namespace

TEST_CASE("ONNX Runtime's CPU fusions leave the nodes its optimized CNN graphs hold") {
  // Expectations from the graphs ONNX Runtime 1.32 wrote after its optimizations (level all) on this
  // CPU, not from latencies.
  const Json graphs = read_json_file(kOrtCpu + "optimized-graphs.json")["graphs"];
  const Json runs = read_json_file(kOrtCpu + "zoo-cpu-runs.json");
  std::size_t checked = 0;
  for (const auto& item : graphs.items()) {
    const std::string key = item.key();  // a plain variable: doctest's CAPTURE cannot take a structured binding
    const Json& g = item.value();
    const Json& all = g["all"];
    if (count_of(all["op_types"], "com.microsoft.nchwc::Conv") == 0) continue;
    CAPTURE(key);
    Workload w = ort_cpu_workload(g["model"].get<std::string>(), g["batch"].get<long long>(), runs);
    long with_sum = 0, with_activation = 0;
    for (const auto& [kind, n] : all["convs"].items()) {
      with_sum += kind.find("+sum") != std::string::npos ? n.get<long>() : 0;
      with_activation += kind.find("activation=none") == std::string::npos ? n.get<long>() : 0;
    }
    CHECK(static_cast<long>(ops_named(w, "com.microsoft.nchwc::Conv")) == count_of(all["op_types"], "com.microsoft.nchwc::Conv"));
    CHECK(static_cast<long>(ops_of(w, OpClass::conv)) == count_of(all["op_types"], "com.microsoft.nchwc::Conv"));
    CHECK(static_cast<long>(ops_named(w, "ReorderOutput")) == count_of(all["op_types"], "com.microsoft.nchwc::ReorderOutput"));
    // What the convolutions absorbed: the eager model's adds and activations less those the pass left.
    Workload eager = ort_cpu_workload(g["model"].get<std::string>(), g["batch"].get<long long>(), runs, "pytorch-eager");
    auto activations = [](const Workload& x) { return static_cast<long>(ops_named(x, "relu") + ops_named(x, "hardtanh")); };
    CHECK(with_sum == static_cast<long>(ops_named(eager, "aten::add") - ops_named(w, "aten::add")));
    CHECK(with_activation == activations(eager) - activations(w));
    CHECK(static_cast<long>(ops_named(w, "aten::add")) == count_of(all["op_types"], "Add"));
    CHECK(static_cast<long>(ops_named(w, "relu") + ops_named(w, "hardtanh")) ==
          count_of(all["op_types"], "Relu") + count_of(all["op_types"], "Clip"));
    CHECK(ops_of(w, OpClass::batch_norm) == 0);
    ++checked;
  }
  CHECK(checked == 4);
}

TEST_CASE("ONNX Runtime's CPU fusions leave the transformer nodes its optimized graphs hold") {
  const Json graphs = read_json_file(kOrtCpu + "optimized-graphs.json")["graphs"];
  const Json runs = read_json_file(kOrtCpu + "zoo-cpu-runs.json");
  std::size_t checked = 0;
  for (const auto& item : graphs.items()) {
    const std::string key = item.key();  // a plain variable: doctest's CAPTURE cannot take a structured binding
    const Json& g = item.value();
    const Json& t = g["all"]["op_types"];
    if (count_of(t, "Softmax") == 0) continue;
    CAPTURE(key);
    Workload w = ort_cpu_workload(g["model"].get<std::string>(), g["batch"].get<long long>(), runs);
    std::size_t norms = 0, gelus = 0;
    for (const Op& op : w.ops) {
      bool norm = false;
      for (std::uint32_t j = 0; j < op.kernel_count; ++j) norm = norm || w.kernels[op.first_kernel + j].kind == KernelKind::norm;
      norms += norm ? 1 : 0;
      // A GELU: ATen's one op, or a chain the pass fused without a norm (its only other pattern).
      const std::string_view name = w.name(op.name);
      gelus += name == "aten::gelu" || (name == "com.microsoft::FusedNode" && !norm) ? 1 : 0;
    }
    // MatMul + Add became Gemm: one node per linear layer, its bias inside.
    CHECK(static_cast<long>(ops_of(w, OpClass::linear)) == count_of(t, "Gemm"));
    // Each layer norm, with the residual add before it or without: one node.
    CHECK(static_cast<long>(norms) == count_of(t, "LayerNormalization") + count_of(t, "com.microsoft::SkipLayerNormalization"));
    // GELU's chain of pointwise ops around its erf or tanh: one node.
    CHECK(static_cast<long>(gelus) == count_of(t, "com.microsoft::Gelu") + count_of(t, "com.microsoft::FastGelu") +
                                          count_of(t, "com.microsoft::BiasGelu"));
    // No Attention fusion of the exported SDPA: one softmax node per attention.
    CHECK(static_cast<long>(ops_of(w, OpClass::attention)) == count_of(t, "Softmax"));
    ++checked;
  }
  CHECK(checked == 2);
}

TEST_CASE("today's ONNX Runtime makes no FusedConv on a GPU (1.20 on), so its host never waits; its CPU rules are 1.12's") {
  // fp32 on a GPU: every convolution keeps its bias kernel and its ReLU and add nodes, as half ones do.
  Workload now = ort_workload("resnet50", DType::fp32, 8, "onnxruntime", "h100");
  Workload then = ort_workload("resnet50", DType::fp32, 8, "onnxruntime@1.12", "h100");
  CHECK(ops_named(now, "FusedConv") == 0);
  CHECK(ops_named(then, "FusedConv") == 49);
  CHECK(ops_of(now, OpClass::conv) == 53);
  CHECK(ops_of(now, OpClass::batch_norm) == 0);
  CHECK(kernels_of(now, KernelKind::strided) == 53);
  CHECK(ops_named(now, "aten::add") == 16);
  for (const Op& op : now.ops) CHECK_FALSE(op.sync);
  // The transformer fusions stay: BERT's layer norms take their residual adds.
  const Catalog& cat = Catalog::builtin();
  Workload bert_now = build_workload(*find_builtin_architecture("bert-base"), WorkloadConfig{"bert-base", DType::fp16, 8, 128, 0},
                                     make_backend(cat.device("h100"), cat.framework("onnxruntime")));
  CHECK(ops_named(bert_now, "FusedNode") > 0);
  // On a CPU both make NCHWc convolutions alike.
  const Catalog& c = Catalog::builtin();
  WorkloadConfig cfg{"resnet18", DType::fp32, 1, 0, 224};
  const Architecture* a = find_builtin_architecture("resnet18");
  Backend cpu = make_backend(c.device("h100"), c.framework("pytorch-eager"));
  cpu.gpu = false;
  Workload w1 = build_workload(*a, cfg, cpu), w2 = w1;
  apply_passes(w1, passes({"drop_noop_ops", "fold_batch_norm", "ort_fusions"}), PassContext{false});
  apply_passes(w2, passes({"drop_noop_ops", "fold_batch_norm", "ort_fusions_cudnn9"}), PassContext{false});
  CHECK(w1.kernels.size() == w2.kernels.size());
  CHECK(ops_named(w2, "com.microsoft.nchwc::Conv") == 20);
}
