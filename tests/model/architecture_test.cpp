#include <doctest/doctest.h>

#include <cmath>

#include "model/arch/architecture.hpp"
#include "model/builder.hpp"
#include "model/catalog.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

Workload build(const std::string& model, DType dt, long long batch) {
  const Catalog& c = Catalog::builtin();
  DeviceSpec d = c.device("h100");
  FrameworkSpec f = c.framework("pytorch-eager");
  const Architecture* a = find_builtin_architecture(model);
  REQUIRE(a != nullptr);
  WorkloadConfig cfg;
  cfg.model = model;
  cfg.dtype = dt;
  cfg.batch = batch;
  if (a->input == InputKind::tokens)
    cfg.seq = 128;
  else
    cfg.image = 224;
  return build_workload(*a, cfg, make_backend(d, f));
}

}  // namespace

TEST_CASE("per-forward op and kernel counts match the shared H100 traces within 10%") {
  const Json* counts = Catalog::builtin().builtin_json("measured/h100-2026-11-trace-counts.json");
  REQUIRE(counts != nullptr);
  int checked = 0;
  for (const auto& t : (*counts)["traces"]) {
    std::string model = t["model"];
    if (!find_builtin_architecture(model)) continue;
    DType dt = *parse_dtype(t["dtype"].get<std::string>());
    Workload w = build(model, dt, t["batch"].get<long long>());
    double ops = static_cast<double>(w.framework_op_count()), top = t["top_level_ops"].get<double>();
    double kernels = static_cast<double>(w.kernels.size()), measured = t["kernels"].get<double>();
    CAPTURE(t["file"]);
    CAPTURE(ops);
    CAPTURE(kernels);
    CHECK(std::fabs(ops - top) / top <= 0.10);
    CHECK(std::fabs(kernels - measured) / measured <= 0.10);
    ++checked;
  }
  CHECK(checked == 18);
}

TEST_CASE("BERT's FLOPs include the attention matmuls") {
  Workload w = build("bert-base", DType::fp16, 1);
  // 12 layers of 4 H x H and 2 H x I projections on 128 tokens, plus QK^T and PV (4 S^2 H per layer).
  double proj = 12 * 128.0 * 2 * (4 * 768.0 * 768 + 2 * 768.0 * 3072);
  double attn = 12 * 4 * 128.0 * 128 * 768;
  double attention_flops = 0;
  for (const auto& k : w.kernels)
    if (k.kind == KernelKind::attention) attention_flops += k.flops;
  CHECK(attention_flops == test::approx(attn));
  CHECK(w.total_flops() > proj + attn);
  CHECK(w.total_flops() < (proj + attn) * 1.02);
}

TEST_CASE("ResNet-50 has 53 convolutions and 4.1 GFLOP (MACs x 2) per image") {
  Workload w = build("resnet50", DType::fp32, 1);
  int convs = 0;
  double conv_flops = 0;
  for (const auto& op : w.ops)
    if (op.cls == OpClass::conv) ++convs;
  for (const auto& k : w.kernels)
    if (k.kind == KernelKind::conv) conv_flops += k.flops;
  CHECK(convs == 53);
  CHECK(conv_flops == test::approx(2 * 4.09e9).epsilon(0.02));
  CHECK(resnet_params({}) == test::approx(25.557e6).epsilon(0.001));
  CHECK(transformer_params({}) == test::approx(109.48e6).epsilon(0.001));
}

TEST_CASE("frozen TorchScript folds batch norm into the convolution, whose bias remains a kernel on a GPU") {
  const Catalog& c = Catalog::builtin();
  DeviceSpec d = c.device("h100");
  WorkloadConfig cfg{"resnet50", DType::fp32, 1, 0, 224};
  Workload eager = build_workload(*find_builtin_architecture("resnet50"), cfg, make_backend(d, c.framework("pytorch-eager")));
  Workload ts = build_workload(*find_builtin_architecture("resnet50"), cfg, make_backend(d, c.framework("torchscript")));
  CHECK(eager.framework_op_count() - ts.framework_op_count() == 53);
  // Each folded batch norm leaves its convolution a bias, which ATen adds after cuDNN's kernel: a
  // broadcast add over the convolution's output, as many elements as the batch norm normalized.
  auto strided_elements = [](const Workload& w, OpClass cls, OpClass bn_cls) {
    double conv = 0, bn = 0;
    for (const auto& op : w.ops)
      for (std::uint32_t i = op.first_kernel; i < op.first_kernel + op.kernel_count; ++i) {
        if (op.cls == cls && w.kernels[i].kind == KernelKind::strided) conv += w.kernels[i].elements;
        if (op.cls == bn_cls && w.kernels[i].kind == KernelKind::batch_norm) bn += w.kernels[i].elements;
      }
    return std::pair{conv, bn};
  };
  CHECK(strided_elements(eager, OpClass::conv, OpClass::batch_norm).first == 0);
  CHECK(strided_elements(ts, OpClass::conv, OpClass::batch_norm).first ==
        test::approx(strided_elements(eager, OpClass::conv, OpClass::batch_norm).second));
}

TEST_CASE("a convolution's bias is a kernel of its own after cuDNN's, inside the convolution on a CPU") {
  const Catalog& c = Catalog::builtin();
  WorkloadConfig cfg{"vgg16", DType::fp16, 2, 0, 224};
  const Architecture* a = find_builtin_architecture("vgg16");
  auto count = [](const Workload& w) {
    int bias_adds = 0;
    for (const auto& op : w.ops)
      for (std::uint32_t i = op.first_kernel; i < op.first_kernel + op.kernel_count; ++i)
        bias_adds += op.cls == OpClass::conv && w.kernels[i].kind == KernelKind::strided;
    return bias_adds;
  };
  Workload gpu = build_workload(*a, cfg, make_backend(c.device("h100"), c.framework("pytorch-eager")));
  CHECK(count(gpu) == 13);  // VGG-16's 13 convolutions all have a bias
  // The first one's: 2 x 64 x 224 x 224 outputs.
  for (const auto& k : gpu.kernels)
    if (k.kind == KernelKind::strided) {
      CHECK(k.elements == test::approx(2.0 * 64 * 224 * 224));
      break;
    }
  cfg.dtype = DType::fp32;
  DeviceSpec host = c.device("h100");
  host.kind = DeviceKind::cpu;
  Workload cpu = build_workload(*a, cfg, make_backend(host, c.framework("libtorch")));
  CHECK(count(cpu) == 0);
}

TEST_CASE("ATen picks oneDNN or its native convolution on a CPU as PyTorch 1.13 does") {
  // (images, channels, side, kernel, stride, groups, threads): the profiler's verdicts on Debian's torch.
  CHECK_FALSE(Builder::cpu_conv_uses_onednn(1, 64, 16, 16, 3, 3, 1, 1, 1));  // one small image, 3x3
  CHECK(Builder::cpu_conv_uses_onednn(2, 64, 16, 16, 3, 3, 1, 1, 1));        // two images
  CHECK(Builder::cpu_conv_uses_onednn(1, 64, 56, 56, 3, 3, 1, 1, 1));        // more than 20480 elements
  CHECK(Builder::cpu_conv_uses_onednn(1, 3, 16, 16, 5, 5, 1, 1, 1));         // a kernel larger than 3x3
  CHECK(Builder::cpu_conv_uses_onednn(1, 64, 16, 16, 3, 3, 1, 64, 1));       // depthwise
  CHECK_FALSE(Builder::cpu_conv_uses_onednn(8, 64, 56, 56, 1, 1, 1, 1, 1));  // 1x1 on one thread, < 16 images
  CHECK(Builder::cpu_conv_uses_onednn(16, 64, 56, 56, 1, 1, 1, 1, 1));
  CHECK(Builder::cpu_conv_uses_onednn(8, 64, 56, 56, 1, 1, 1, 1, 2));        // ... or on two threads
  CHECK(Builder::cpu_conv_uses_onednn(8, 64, 56, 56, 1, 1, 2, 1, 1));        // ... or strided
}

TEST_CASE("a natively run CPU convolution is an im2col copy and per-image GEMMs, a oneDNN one a conv kernel") {
  const Catalog& c = Catalog::builtin();
  DeviceSpec cpu = c.device("h100");
  cpu.kind = DeviceKind::cpu;
  cpu.parallel_units = 1;
  auto kernels = [&](double n, double cin, double h, double k) {
    Workload w;
    double pad = std::floor(k / 2);
    Builder(w, make_backend(cpu, c.framework("libtorch")), DType::fp32).conv2d(n, cin, h, h, 64, k, k, 1, pad, pad);
    return w.kernels;
  };
  auto native = kernels(1, 64, 16, 3);
  REQUIRE(native.size() == 2);
  CHECK(native[0].kind == KernelKind::copy);
  CHECK(native[0].bytes == test::approx((64.0 * 16 * 16 + 64.0 * 9 * 16 * 16) * 4));  // input read, columns written
  CHECK(native[1].kind == KernelKind::gemm);
  CHECK(native[1].m == 256);  // one image's output pixels
  CHECK(native[1].k == 64 * 9);
  CHECK(native[1].flops == test::approx(2.0 * 256 * 64 * 64 * 9));
  auto pointwise = kernels(4, 64, 16, 1);  // 1x1, one thread, 4 images: GEMMs on the input itself
  REQUIRE(pointwise.size() == 1);
  CHECK(pointwise[0].kind == KernelKind::gemm);
  CHECK(pointwise[0].m == 256);
  CHECK(pointwise[0].flops == test::approx(2.0 * 4 * 256 * 64 * 64));
  auto onednn = kernels(4, 64, 16, 3);
  REQUIRE(onednn.size() == 1);
  CHECK(onednn[0].kind == KernelKind::conv);
  CHECK(onednn[0].m == 4 * 256);
}

TEST_CASE("HF encoders run SDPA's math kernels when captured in a graph or traced by torch.jit, not in eager") {
  const Catalog& c = Catalog::builtin();
  auto math_ops = [&](const std::string& model, const std::string& framework) {
    WorkloadConfig cfg{model, DType::fp16, 8, 128, 0};
    Workload w = build_workload(*find_builtin_architecture(model), cfg, make_backend(c.device("h100"), c.framework(framework)));
    int n = 0;
    for (const auto& op : w.ops) n += w.name(op.name) == "aten::_scaled_dot_product_attention_math";
    return n;
  };
  CHECK(math_ops("bert-base", "pytorch-eager") == 0);
  CHECK(math_ops("bert-base", "cuda-graphs") == 12);
  CHECK(math_ops("bert-base", "torchscript") == 12);
  CHECK(math_ops("gpt2", "torchscript") == 0);  // causal: the mask is skipped by is_causal, not materialized
}

TEST_CASE("impossible configurations are input errors") {
  const Architecture* a = find_builtin_architecture("bert-base");
  Backend b;
  auto seq = test::messages_of([&] { build_workload(*a, {"bert-base", DType::fp32, 1, 1024, 0}, b); });
  REQUIRE(seq.size() == 1);
  CHECK(seq[0].find("exceeds the model's 512 positions (max_position_embeddings)") != std::string::npos);
  CHECK(!test::messages_of([&] { build_workload(*a, {"bert-base", DType::fp32, 0, 128, 0}, b); }).empty());
}

TEST_CASE("the builder's library heuristics come from data/libraries.json, and bad values are refused by place") {
  const Json* j = Catalog::builtin().builtin_json("libraries.json");
  REQUIRE(j != nullptr);
  const LibraryHeuristics& h = builtin_library_heuristics();
  CHECK(h.split_k_min_k == (*j)["gemm_split_k"]["min_k"].get<double>());
  CHECK(h.winograd_min_channels == (*j)["winograd"]["min_channels"].get<double>());
  // Every section says where its numbers come from.
  for (const auto& item : j->items()) {
    const std::string section = item.key();  // a plain variable: doctest's macros capture it
    if (item.value().is_object()) CHECK_MESSAGE(item.value().contains("source"), section);
  }
  // The split-K threshold decides the kernels: BERT's 128x768x768 projection on the RTX 8000 (24
  // output tiles of 128x32 against 72 SMs) splits K with K = 768 >= 512, not when K must reach 1024.
  const Catalog& c = Catalog::builtin();
  Backend be = make_backend(c.device("rtx8000"), c.framework("pytorch-eager"));
  auto linear_kernels = [](const Backend& b) {
    Workload w;
    Builder(w, b, DType::fp32).linear(128, 768, 768);
    return w.ops.front().kernel_count;
  };
  CHECK(linear_kernels(be) == 4);
  be.libraries.split_k_min_k = 1024;
  CHECK(linear_kernels(be) == 1);
  // A profile without an SM count takes the file's default.
  DeviceSpec bare = c.device("rtx8000");
  bare.parallel_units = 0;
  CHECK(make_backend(bare, c.framework("pytorch-eager")).parallel_units == h.default_gpu_units);
  // Missing or non-positive values are errors at their place.
  Json bad = *j;
  bad["gemm_split_k"]["min_k"] = -512;
  bad["winograd"].erase("min_channels");
  Diagnostics diag("libraries.json");
  parse_library_heuristics(bad, diag);
  try {
    diag.throw_if_any();
    FAIL("accepted");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m.find("/gemm_split_k/min_k") != std::string::npos);
    CHECK(m.find("expected a number > 0, got -512") != std::string::npos);
    CHECK(m.find("/winograd/min_channels") != std::string::npos);
  }
}
