// Workload passes (model/passes.cpp) and the versioned stacks that list them.
#include <doctest/doctest.h>

#include "model/arch/architecture.hpp"
#include "model/builder.hpp"
#include "model/catalog.hpp"
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
  REQUIRE(w.ops.size() == 3);  // the linear, the dropout (before the chain starts), the fused group
  CHECK(w.ops[0].cls == OpClass::linear);
  CHECK(w.ops[1].noop);
  CHECK(w.name(w.ops[2].name) == "prim::CudaFusionGroup");
  CHECK(w.ops[2].fused);
  REQUIRE(w.ops[2].kernel_count == 1);
  const Kernel& k = w.kernels[w.ops[2].first_kernel];
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

TEST_CASE("ONNX Runtime's fusions fold batch norms and put bias and activation into the convolution") {
  const Catalog& c = Catalog::builtin();
  WorkloadConfig cfg{"resnet50", DType::fp16, 8, 0, 224};
  const Architecture* a = find_builtin_architecture("resnet50");
  DeviceSpec d = c.device("rtx8000");
  Workload eager = build_workload(*a, cfg, make_backend(d, c.framework("pytorch-eager")));
  Workload ort = build_workload(*a, cfg, make_backend(d, c.framework("onnxruntime@1.12")));
  CHECK(ops_of(eager, OpClass::conv) == 53);
  CHECK(ops_of(ort, OpClass::conv) == 53);
  CHECK(ops_of(ort, OpClass::batch_norm) == 0);
  // Every ReLU of ResNet-50 follows a convolution (or the residual add after one): all are absorbed.
  std::size_t relus = 0, bias_kernels = 0;
  for (const Op& op : ort.ops) relus += ort.name(op.name).find("relu") != std::string::npos ? 1 : 0;
  for (const Kernel& k : ort.kernels) bias_kernels += k.kind == KernelKind::strided ? 1 : 0;
  CHECK(relus == 0);
  CHECK(bias_kernels == 0);
  CHECK(ort.kernels.size() < eager.kernels.size());
  CHECK(ort.total_flops() < eager.total_flops());
  CHECK(ort.total_flops() > 0.95 * eager.total_flops());  // the convolutions' work is all there
}

TEST_CASE("NAME@VERSION selects a stack's data file, and validate's filter re-targets unversioned runs") {
  const Catalog& c = Catalog::builtin();
  FrameworkSpec ts = c.framework("torchscript@1.12");
  CHECK(ts.name == "torchscript@1.12");
  CHECK(ts.version == "1.12");
  CHECK(ts.mode == ExecMode::script);
  REQUIRE(ts.passes.size() == 1);
  CHECK(ts.passes.front() == "fuse_pointwise");
  FrameworkSpec ort = c.framework("onnxruntime@1.12");
  CHECK(ort.mode == ExecMode::executor);
  CHECK(test::messages_of([&] { c.framework("torchscript@0.1"); }).size() == 1);
  CHECK(select_framework({"torchscript@1.12"}, "torchscript") == "torchscript@1.12");
  CHECK(select_framework({"torchscript@1.12"}, "torchscript@1.12") == "torchscript@1.12");
  CHECK(select_framework({"torchscript"}, "torchscript@1.12") == "torchscript@1.12");
  CHECK(select_framework({"torchscript@1.12"}, "pytorch-eager").empty());
  CHECK(select_framework({"onnxruntime@1.12"}, "torchscript@1.12").empty());
}
