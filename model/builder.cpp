#include "model/builder.hpp"

#include <algorithm>
#include <cmath>

#include "model/catalog.hpp"
#include "model/error.hpp"
#include "model/json_spec.hpp"

namespace fwtax {

LibraryHeuristics parse_library_heuristics(const Json& j, Diagnostics& diag) {
  LibraryHeuristics h;
  ObjectReader top(j, "", diag);
  top.allow({"name", "description"});
  // One section of the file: its numbers through `read`, its source allowed, nothing else.
  auto section = [&](std::string_view key, auto&& read) {
    if (const Json* v = top.object(key, true)) {
      ObjectReader r(*v, pointer_join("", key), diag);
      read(r);
      r.allow({"source"});
      r.finish();
    }
  };
  using R = ObjectReader;
  constexpr NumberRule positive = NumberRule::positive;
  section("gemm_split_k", [&](R& r) {
    h.split_k_tile_m = r.number("tile_m", positive);
    h.split_k_tile_n = r.number("tile_n", positive);
    h.split_k_max_fill = r.number("max_fill", NumberRule::fraction);
    h.split_k_min_k = r.number("min_k", positive);
  });
  section("stream_k_workspace", [&](R& r) {
    h.stream_k_min_outputs = r.number("min_outputs", positive);
    h.stream_k_bytes = r.number("bytes", positive);
  });
  section("conv_workspace", [&](R& r) {
    h.conv_workspace_min_outputs = r.number("min_outputs", positive);
    h.conv_workspace_bytes_per_output = r.number("bytes_per_output", positive);
  });
  section("conv_nchw_output", [&](R& r) {
    h.conv_nchw_output_min_outputs = r.number("min_outputs", positive);
    h.conv_nchw_output_min_outputs_half = r.number("min_outputs_half", positive);
  });
  section("winograd", [&](R& r) { h.winograd_min_channels = r.number("min_channels", positive); });
  section("default_parallel_units", [&](R& r) {
    h.default_gpu_units = r.number("gpu", positive);
    h.default_cpu_units = r.number("cpu", positive);
  });
  top.finish();
  return h;
}

const LibraryHeuristics& builtin_library_heuristics() {
  static const LibraryHeuristics h = [] {
    const Json* j = Catalog::builtin().builtin_json("libraries.json");
    if (!j) throw InputError("libraries.json", "", "not among the built-in data (model/CMakeLists.txt)");
    Diagnostics diag("libraries.json");
    LibraryHeuristics out = parse_library_heuristics(*j, diag);
    diag.throw_if_any();
    return out;
  }();
  return h;
}

std::vector<const WorkloadPass*> passes_for(const DeviceSpec& d, const FrameworkSpec& f) {
  std::vector<const WorkloadPass*> out;
  const bool gpu = d.kind == DeviceKind::gpu;
  for (const FrameworkPass& step : f.passes) {
    if (gpu && !in_compute_capability_range(d.compute_capability, step.compute_capability_min,
                                            step.compute_capability_below))
      continue;
    if (const WorkloadPass* p = find_workload_pass(step.name)) out.push_back(p);
  }
  return out;
}

Backend make_backend(const DeviceSpec& d, const FrameworkSpec& f) {
  Backend b;
  b.gpu = d.kind == DeviceKind::gpu;
  b.parallel_units = d.parallel_units > 0 ? d.parallel_units
                                           : (b.gpu ? b.libraries.default_gpu_units : b.libraries.default_cpu_units);
  b.tf32_matmul = f.tf32_matmul;
  b.tf32_conv = f.tf32_conv && d.peak_flops_per_s[static_cast<int>(Math::tf32_tensor)] > 0;
  b.half_tensor_cores = d.peak_flops_per_s[static_cast<int>(Math::fp16_tensor)] > 0;
  b.conv_workspace_limit_bytes = f.conv_workspace_limit_bytes;
  b.winograd_conv_speedup = f.winograd_conv_speedup;
  if (const auto& t = f.grouped_tf32_conv_transpose;
      t && b.gpu && in_compute_capability_range(d.compute_capability, t->compute_capability_min,
                                                t->compute_capability_below)) {
    b.grouped_conv_transpose_min_rows = t->min_rows;
    b.grouped_conv_transpose_bandwidth_fraction = t->bandwidth_fraction;
  }
  b.gemm_split_k = f.gemm_split_k;
  b.passes = passes_for(d, f);
  b.graph_capture = f.mode == ExecMode::graph;
  b.jit_traced = f.mode == ExecMode::script;
  b.dynamo_traced = f.mode == ExecMode::wrapper;
  b.stack_convolutions = !f.conv_flops_per_s.empty();
  b.hf_attention = f.hf_attention;
  return b;
}

Builder::Builder(Workload& w, const Backend& b, DType dtype)
    : w_(w), b_(b), dt_(dtype), elem_(bytes_per_element(dtype)) {
  n_.view = id("aten::view");
  n_.dropout = id("aten::dropout");
  n_.empty = id("aten::empty");
  n_.linear = id("aten::linear");
  n_.matmul = id("aten::matmul");
  n_.layer_norm = id("aten::layer_norm");
  n_.softmax = id("aten::softmax");
  n_.sdpa = id("aten::scaled_dot_product_attention");
  n_.embedding = id("aten::embedding");
  n_.conv = id("aten::conv2d");
  n_.batch_norm = id("aten::batch_norm");
  n_.cat = id("aten::cat");
  n_.module = id("nn.Module");
  n_.k_gemm = id("gemm");
  n_.k_gemv = id("gemv");
  n_.k_splitk_memset = id("gemm_splitk_memset");
  n_.k_splitk_scale = id("gemm_splitk_scale");
  n_.k_splitk_epilogue = id("gemm_splitk_epilogue");
  n_.k_attn = id("fused_attention");
  n_.k_attn_memset = id("attention_stats_memset");
  n_.k_elementwise = id("elementwise");
  n_.k_norm = id("norm");
  n_.k_softmax = id("softmax");
  n_.k_gather = id("gather");
  n_.k_conv = id("conv_implicit_gemm");
  n_.k_conv_dw = id("conv_depthwise");
  n_.k_conv_winograd = id("conv_winograd");
  n_.k_conv_ws = id("conv_workspace_memset");
  n_.k_to_nhwc = id("nchw_to_nhwc");
  n_.k_generic_transpose = id("cudnn::ops::genericTranspose_kernel");
  n_.k_to_nchw = id("nhwc_to_nchw");
  n_.k_bn_cvt = id("batch_norm_param_convert");
  n_.k_bn = id("batch_norm_inference");
  n_.k_pool = id("pool");
  n_.k_reduce = id("reduce");
  n_.k_copy = id("copy");
  n_.k_im2col = id("im2col");
}

std::uint32_t Builder::begin_op(std::uint32_t name, OpClass cls) {
  if (fused_) return static_cast<std::uint32_t>(w_.ops.size() - 1);
  Op op;
  op.name = name;
  op.cls = cls;
  op.first_kernel = static_cast<std::uint32_t>(w_.kernels.size());
  op.module = module_;
  w_.ops.push_back(op);
  return static_cast<std::uint32_t>(w_.ops.size() - 1);
}

Kernel& Builder::add_kernel(std::uint32_t name, KernelKind kind, Math math, double flops, double bytes, double m,
                            double n, double k, GemmForm form) {
  return add_kernel_to(static_cast<std::uint32_t>(w_.ops.size() - 1), name, kind, math, flops, bytes, m, n, k, form);
}

Kernel& Builder::add_kernel_to(std::uint32_t op, std::uint32_t name, KernelKind kind, Math math, double flops,
                               double bytes, double m, double n, double k, GemmForm form) {
  Kernel kn;
  kn.name = name;
  kn.kind = kind;
  kn.math = math;
  kn.flops = flops;
  kn.bytes = bytes;
  kn.m = m;
  kn.n = n;
  kn.k = k;
  kn.form = form;
  w_.kernels.push_back(kn);
  w_.ops[op].kernel_count++;
  return w_.kernels.back();
}

void Builder::module(OpClass glue, std::string_view scope) {
  fused_ = false;
  if (b_.record_scopes && glue != OpClass::module_leaf && !scope.empty()) module_ = id(scope);
  std::uint32_t op = begin_op(n_.module, glue);
  w_.module_calls += 1;
  if (b_.record_scopes && !scope.empty()) w_.ops[op].scope = id(scope);
}

void Builder::unit(OpClass glue, std::string_view scope) {
  fused_ = false;
  std::uint32_t op = begin_op(n_.module, glue);
  if (b_.record_scopes && !scope.empty()) w_.ops[op].scope = id(scope);
}

void Builder::resume(std::string_view scope) {
  if (b_.record_scopes) module_ = id(scope);
}

void Builder::begin_fused(std::string_view aten, OpClass cls) {
  fused_ = false;
  begin_op(id(aten), cls);
  fused_ = true;
}

void Builder::view(std::string_view aten) { begin_op(id(aten), OpClass::view); }

void Builder::dropout(std::string_view aten) {
  std::uint32_t op = begin_op(aten == "aten::dropout" ? n_.dropout : id(aten), OpClass::view);
  w_.ops[op].noop = true;
}

void Builder::alloc() { begin_op(n_.empty, OpClass::alloc); }

void Builder::alloc_zeros(double elems) {
  begin_op(id("aten::zeros"), OpClass::alloc);
  add_kernel(n_.k_elementwise, KernelKind::memset, vector_math(dt_), 0, elems * elem_);
}

void Builder::sync_read(std::string_view aten) {
  std::uint32_t op = begin_op(id(aten), OpClass::other);
  if (b_.gpu) add_kernel(n_.k_copy, KernelKind::copy, Math::fp32_simt, 0, 8);
  w_.ops[op].sync = true;
}

void Builder::gemm_kernels(double m, double n, double k, GemmForm form, bool bias, double batch) {
  Math math = matmul_math(dt_, b_.tf32_matmul);
  if (!b_.half_tensor_cores && (dt_ == DType::fp16 || dt_ == DType::bf16)) math = Math::fp32_simt;
  double flops = 2 * m * n * k * batch + (bias ? m * n * batch : 0);
  double bytes = (m * k * batch + k * n * (form == GemmForm::linear ? 1 : batch) + m * n * batch) * elem_;
  if (!b_.gpu) {
    add_kernel(n_.k_gemm, KernelKind::gemm, math, flops, bytes, m * batch, n, k, form);
    return;
  }
  if (m * batch <= 1) {  // a vector-matrix product runs as gemv
    add_kernel(n_.k_gemv, KernelKind::gemm, math, flops, bytes, 1, n, k, form);
    return;
  }
  // cuBLAS's FP32 (SIMT) path splits K when the output has too few tiles to fill the SMs: a memset
  // and a beta scaling before, a reduction with the bias after (data/libraries.json says where the
  // thresholds were seen). A stack without that path (FrameworkSpec::gemm_split_k false) runs the
  // GEMM as one kernel.
  const LibraryHeuristics& lib = b_.libraries;
  double tiles = std::ceil(m / lib.split_k_tile_m) * std::ceil(n / lib.split_k_tile_n) * batch;
  if (b_.gemm_split_k && math == Math::fp32_simt && tiles < lib.split_k_max_fill * b_.parallel_units &&
      k >= lib.split_k_min_k) {
    double out = m * n * batch * 4;
    add_kernel(n_.k_splitk_memset, KernelKind::memset, Math::fp32_simt, 0, out);
    add_kernel(n_.k_splitk_scale, KernelKind::elementwise, Math::fp32_simt, m * n * batch, 2 * out);
    add_kernel(n_.k_gemm, KernelKind::gemm, math, flops, bytes, m * batch, n, k, form);
    add_kernel(n_.k_splitk_epilogue, KernelKind::elementwise, Math::fp32_simt, m * n * batch, 2 * out);
    return;
  }
  // cuBLASLt's stream-K kernels for large tensor-core outputs clear a workspace first.
  if (math != Math::fp32_simt && m * n * batch >= lib.stream_k_min_outputs)
    add_kernel(n_.k_splitk_memset, KernelKind::memset, Math::fp32_simt, 0, lib.stream_k_bytes);
  add_kernel(n_.k_gemm, KernelKind::gemm, math, flops, bytes, m * batch, n, k, form);
}

void Builder::linear(double rows, double in, double out, bool bias) {
  begin_op(n_.linear, OpClass::linear);
  gemm_kernels(rows, out, in, GemmForm::linear, bias, 1);
}

void Builder::matmul(double batch, double m, double n, double k, std::string_view aten) {
  begin_op(id(aten), OpClass::matmul);
  gemm_kernels(m, n, k, GemmForm::matmul, false, batch);
}

void Builder::elementwise(std::string_view aten, double elems, int inputs, double flops_per_elem, int rereads) {
  begin_op(id(aten), OpClass::elementwise);
  add_kernel(n_.k_elementwise, KernelKind::elementwise, vector_math(dt_), elems * flops_per_elem,
             (inputs + 1) * elems * elem_);
  w_.kernels.back().reread_bytes = rereads * elems * elem_;
  output(elems);
  mark_function(aten, elems);
}

void Builder::keep_output() {
  if (!w_.kernels.empty()) w_.kernels.back().output_kept = true;
}

void Builder::mark_function(std::string_view aten, double elems) {
  fwtax::mark_function(w_.kernels.back(), aten, elems);
}

void Builder::layer_norm(double rows, double cols, std::string_view aten) {
  begin_op(aten == "aten::layer_norm" ? n_.layer_norm : id(aten), OpClass::layer_norm);
  add_kernel(n_.k_norm, KernelKind::norm, vector_math(dt_), 8 * rows * cols, (2 * rows * cols + 2 * cols) * elem_);
  output(rows * cols);
}

void Builder::softmax(double rows, double cols) {
  begin_op(n_.softmax, OpClass::softmax);
  add_kernel(n_.k_softmax, KernelKind::softmax, vector_math(dt_), 5 * rows * cols, 2 * rows * cols * elem_);
  output(rows * cols);
}

void Builder::sdpa(double b, double h, double sq, double sk, double d, bool causal, double kv_heads) {
  begin_op(n_.sdpa, OpClass::attention);
  double flops = 4 * b * h * sq * sk * d * (causal ? 0.5 : 1.0);
  double bytes = b * (2 * h * sq + 2 * (kv_heads > 0 ? kv_heads : h) * sk) * d * elem_;
  bool half = dt_ == DType::fp16 || dt_ == DType::bf16;
  Math math = half && b_.half_tensor_cores ? matmul_math(dt_, false) : Math::fp32_simt;
  // The cuDNN / flash kernels for half types clear their softmax statistics first.
  if (b_.gpu && half) add_kernel(n_.k_attn_memset, KernelKind::memset, Math::fp32_simt, 0, b * h * sq * 4);
  add_kernel(n_.k_attn, KernelKind::attention, math, flops, bytes, b * h * sq, sk, d);
  w_.kernels.back().causal = causal;
}

// PyTorch 2.11's math fallback, kernel for kernel as the CUDA-graph replay of HF BertModel captured
// without an attention mask ran it (validate/gpu/graph_check.py on an H200, 2026-11-27): half inputs
// cast to fp32 and copied out of their transposed (strided) layout, q and k each scaled, QK^T and PV
// as fp32 batched GEMMs on the CUDA cores, the mask added, a "safe" softmax (isneginf, all, where:
// rows that are all -inf give zeros), the output cast back and made contiguous, three small fills.
void Builder::sdpa_math(double b, double h, double sq, double sk, double d, bool decomposed) {
  const bool half = dt_ == DType::fp16 || dt_ == DType::bf16;
  const double q = b * h * sq * d, kv = b * h * sk * d, s = b * h * sq * sk;
  const Math v = vector_math(DType::fp32);
  // QK^T and PV: fp32 batched GEMMs on the CUDA cores in either form.
  auto scores_gemm = [&] {
    add_kernel(n_.k_gemm, KernelKind::gemm, Math::fp32_simt, 2 * s * d, (q + kv + s) * 4, b * h * sq, sk, d);
  };
  auto context_gemm = [&] {
    add_kernel(n_.k_gemm, KernelKind::gemm, Math::fp32_simt, 2 * s * d, (q + kv + s) * 4, b * h * sq, d, sk);
  };
  if (decomposed) {
    // The same steps as aten ops: q and k scaled (and cast), v cast, the two fp32 batched GEMMs, the
    // mask add and the safe softmax between them, the output cast back (in half) and laid out for the
    // next linear. Inductor generates the pointwise and reduction kernels (fusing the mask add into the
    // softmax), cuBLAS runs the GEMMs.
    auto pointwise = [&](std::string_view aten, double n, double in_bytes, double out_bytes) {
      begin_op(id(aten), OpClass::elementwise);
      add_kernel(n_.k_elementwise, KernelKind::elementwise, v, n, n * (in_bytes + out_bytes)).out_bytes = n * out_bytes;
    };
    const double in = half ? elem_ : 4;
    pointwise("aten::mul", q, in, 4);
    pointwise("aten::mul", kv, in, 4);
    if (half) pointwise("aten::_to_copy", kv, in, 4);
    begin_op(id("aten::bmm"), OpClass::matmul);
    scores_gemm();
    pointwise("aten::add", s, 4 + 1, 4);  // + the boolean mask's additive form
    begin_op(id("aten::_safe_softmax"), OpClass::softmax);
    add_kernel(n_.k_softmax, KernelKind::softmax, v, 5 * s, 8 * s).out_bytes = 4 * s;
    begin_op(id("aten::bmm"), OpClass::matmul);
    context_gemm();
    pointwise(half ? "aten::_to_copy" : "aten::clone", q, 4, half ? elem_ : 4);  // [B, S, H * D] for the next linear
    return;
  }
  begin_op(id("aten::_scaled_dot_product_attention_math"), OpClass::attention);
  // The casts and copies of the transposed q, k, v and the broadcast mask add run on ATen's generic
  // (non-vectorized) elementwise kernel: strided kernels, bound by the elements they process.
  for (double n : {q, kv, kv}) {
    if (half) add_kernel(n_.k_copy, KernelKind::strided, v, 0, n * (elem_ + 4)).elements = n;
    add_kernel(n_.k_copy, KernelKind::strided, v, 0, n * 8).elements = n;
  }
  add_kernel(n_.k_elementwise, KernelKind::elementwise, v, q, 8 * q);
  add_kernel(n_.k_elementwise, KernelKind::elementwise, v, kv, 8 * kv);
  scores_gemm();
  add_kernel(n_.k_elementwise, KernelKind::strided, v, s, 12 * s).elements = s;  // + mask
  add_kernel(n_.k_softmax, KernelKind::softmax, v, 5 * s, 8 * s);
  add_kernel(n_.k_elementwise, KernelKind::elementwise, v, s, 5 * s);   // isneginf
  add_kernel(n_.k_reduce, KernelKind::reduction, v, s, s);              // all
  add_kernel(n_.k_elementwise, KernelKind::elementwise, v, s, 9 * s);   // where
  context_gemm();
  if (half)
    for (int i = 0; i < 2; ++i) add_kernel(n_.k_copy, KernelKind::copy, v, 0, q * (4 + elem_));
  add_kernel(n_.k_copy, KernelKind::strided, v, 0, 2 * q * (half ? elem_ : 4)).elements = q;  // contiguous
  for (int i = 0; i < 3; ++i) add_kernel(n_.k_elementwise, KernelKind::elementwise, v, 0, 4);  // fills
}

void Builder::embedding(double rows, double dim) {
  begin_op(n_.embedding, OpClass::embedding);
  add_kernel(n_.k_gather, KernelKind::gather, vector_math(dt_), 0, 2 * rows * dim * elem_ + rows * 8);
}

void Builder::gather(double elems, std::string_view aten) {
  begin_op(id(aten), OpClass::elementwise);
  add_kernel(n_.k_gather, KernelKind::gather, vector_math(DType::int64), 0, 3 * elems * 8);
}

namespace {
// cuDNN's NCHW <-> NHWC transform of a [n, c, p] tensor (p: the spatial positions) moves it in 32 x 32
// tiles of (c, p): a tensor with fewer than 32 channels or positions pays for whole tiles (a 3x3
// weight [cout, cin, 9] for 32 / 9 times its elements). The elements its tiles span.
double layout_tiles(double n, double c, double p) {
  auto up = [](double x) { return std::ceil(x / 32) * 32; };
  return n * up(c) * up(p);
}
}  // namespace

void Builder::conv2d(double n, double cin, double h, double w, double cout, double kh, double kw, double stride,
                     double pad_h, double pad_w, double groups, bool bias) {
  begin_op(n_.conv, OpClass::conv);
  double oh = conv_out(h, kh, stride, pad_h), ow = conv_out(w, kw, stride, pad_w);
  double in_elems = n * cin * h * w, w_elems = cout * (cin / groups) * kh * kw, out_elems = n * cout * oh * ow;
  double flops = 2 * n * oh * ow * cout * (cin / groups) * kh * kw;
  double bytes = (in_elems + w_elems + out_elems) * elem_;
  double gm = n * oh * ow, gn = cout, gk = (cin / groups) * kh * kw;
  if (groups > 1 && groups == cin) {  // depthwise: a dedicated streaming kernel (bias included), no tensor cores
    add_kernel(n_.k_conv_dw, KernelKind::depthwise, vector_math(dt_), flops + (bias ? out_elems : 0), bytes, gm, gn, gk);
    return;
  }
  Math math = dt_ == DType::fp32 ? (b_.tf32_conv ? Math::tf32_tensor : Math::fp32_simt)
                                 : (b_.half_tensor_cores ? matmul_math(dt_, false) : Math::fp32_simt);
  bool pointwise = kh == 1 && kw == 1 && stride == 1 && pad_h == 0 && pad_w == 0;
  // cuDNN's tensor-core kernels for an NCHW half convolution work on NHWC copies of the input and the
  // output, held in its workspace: under a workspace cap they are not candidates when the copies do
  // not fit, and cuDNN picks a kernel on the CUDA cores. This holds for 1x1 convolutions too: the
  // legacy API that ONNX Runtime 1.12 calls (cudnnFindConvolutionForwardAlgorithmEx) converts NCHW
  // to NHWC whenever it runs a tensor-core kernel (cuDNN developer guide, "Tensor Transformations");
  // the plain NCHW GEMM below is what PyTorch's cuDNN 9 runs for them (H100 traces), uncapped.
  if (b_.gpu && dt_ != DType::fp32 && b_.conv_workspace_limit_bytes > 0 &&
      (in_elems + out_elems) * elem_ > b_.conv_workspace_limit_bytes) {
    math = Math::fp32_simt;
    w_.workspace_capped_convs += 1;
  }
  if (!b_.gpu && b_.stack_convolutions) {
    add_kernel(n_.k_conv, KernelKind::conv, math, flops + (bias ? out_elems : 0), bytes, gm, gn, gk);
    return;
  }
  if (!b_.gpu && dt_ == DType::fp32 &&
      !cpu_conv_uses_onednn(n, cin, h, w, kh, kw, stride, groups, b_.parallel_units)) {
    // ATen's native convolution: per image, the input unfolded into columns [cin k^2, oh ow] (not for
    // a 1x1 unstrided, unpadded kernel, whose input already is that matrix), then one BLAS GEMM
    // [cout, cin k^2] x [cin k^2, oh ow] into an output holding the bias. Timed as the GEMMs it is.
    double cols = n * gk * oh * ow;
    if (!pointwise) add_kernel(n_.k_im2col, KernelKind::copy, math, 0, (in_elems + cols) * elem_);
    add_kernel(n_.k_gemm, KernelKind::gemm, math, flops + (bias ? out_elems : 0),
               (cols + w_elems + (bias ? 2 : 1) * out_elems) * elem_, oh * ow, gn, gk);
    return;
  }
  if (!b_.gpu) {
    // oneDNN adds the bias in the convolution and reorders the weights into its blocked layout on
    // every eager call: read, write, read again.
    add_kernel(n_.k_conv, KernelKind::conv, math, flops + (bias ? out_elems : 0), bytes + 2 * w_elems * elem_, gm, gn, gk);
    return;
  }
  if (math == Math::fp32_simt) {
    // On the CUDA cores cuDNN runs an ungrouped 3x3 stride-1 convolution with enough channels as
    // Winograd's algorithm: the tiles' products in a transformed domain, fewer multiplies than direct.
    const double min_channels = b_.libraries.winograd_min_channels;
    bool winograd = kh == 3 && kw == 3 && stride == 1 && groups == 1 && cin >= min_channels && cout >= min_channels;
    add_kernel(winograd ? n_.k_conv_winograd : n_.k_conv, KernelKind::conv, math, flops, bytes, gm, gn, gk);
    if (winograd) w_.kernels.back().flops_divisor = b_.winograd_conv_speedup;
  } else if (groups > 1 && math == Math::tf32_tensor && b_.grouped_conv_transpose_min_rows > 0 &&
             gm >= b_.grouped_conv_transpose_min_rows) {
    // cuDNN 8's heuristics on some GPUs (FrameworkSpec::grouped_tf32_conv_transpose): a tensor-core
    // kernel in NHWC, its input and output moved by cuDNN's generic transpose, slow per byte.
    const double share = b_.grouped_conv_transpose_bandwidth_fraction;
    add_kernel(n_.k_generic_transpose, KernelKind::layout, vector_math(dt_), 0, 2 * in_elems * elem_).bandwidth_fraction = share;
    add_kernel(n_.k_conv, KernelKind::conv, math, flops, bytes, gm, gn, gk);
    add_kernel(n_.k_generic_transpose, KernelKind::layout, vector_math(dt_), 0, 2 * out_elems * elem_).bandwidth_fraction = share;
  } else if (pointwise) {  // a plain GEMM on the NCHW tensors; large outputs clear a workspace first
    if (out_elems >= b_.libraries.conv_workspace_min_outputs)
      add_kernel(n_.k_conv_ws, KernelKind::memset, Math::fp32_simt, 0,
                 out_elems * b_.libraries.conv_workspace_bytes_per_output);
    add_kernel(n_.k_conv, KernelKind::conv, math, flops, bytes, gm, gn, gk);
  } else {
    // cuDNN's tensor-core kernels work in NHWC: PyTorch's NCHW input and weights are transformed
    // first, and large outputs are transformed back. A 1x1 weight [cout, cin, 1, 1] is laid out as its
    // NHWC form already, and is not (the H100 traces' strided 1x1 convolutions).
    add_kernel(n_.k_to_nhwc, KernelKind::layout, vector_math(dt_), 0, 2 * in_elems * elem_).elements =
        layout_tiles(n, cin, h * w);
    if (kh * kw > 1)
      add_kernel(n_.k_to_nhwc, KernelKind::layout, vector_math(dt_), 0, 2 * w_elems * elem_).elements =
          layout_tiles(cout, cin / groups, kh * kw);
    add_kernel(n_.k_conv, KernelKind::conv, math, flops, bytes, gm, gn, gk);
    if (out_elems >= (dt_ == DType::fp32 ? b_.libraries.conv_nchw_output_min_outputs
                                          : b_.libraries.conv_nchw_output_min_outputs_half))
      add_kernel(n_.k_to_nchw, KernelKind::layout, vector_math(dt_), 0, 2 * out_elems * elem_).elements =
          layout_tiles(n, cout, oh * ow);
  }
  if (bias) conv_bias(static_cast<std::uint32_t>(w_.ops.size() - 1), out_elems);
}

// cuDNN's convolutions take no bias: ATen adds it afterwards, in place (output.add_ of the bias
// viewed as [1, C, 1, 1]), a broadcast on ATen's generic elementwise kernel, bound by its elements.
void Builder::conv_bias(std::uint32_t op, double out_elems) {
  add_kernel_to(op, n_.k_elementwise, KernelKind::strided, vector_math(dt_), out_elems, 2 * out_elems * elem_)
      .elements = out_elems;
  output(out_elems);
}

void Builder::batch_norm(double n, double c, double h, double w) {
  begin_op(n_.batch_norm, OpClass::batch_norm);
  double elems = n * c * h * w;
  // cuDNN's inference kernel takes fp32 parameters only; a half model falls back to ATen's kernel,
  // which first converts the running statistics.
  if (b_.gpu && dt_ != DType::fp32) {
    add_kernel(n_.k_bn_cvt, KernelKind::copy, vector_math(dt_), 0, 2 * c * (elem_ + 4));
    add_kernel(n_.k_bn_cvt, KernelKind::copy, vector_math(dt_), 0, 2 * c * (elem_ + 4));
  }
  Kernel& k = add_kernel(n_.k_bn, KernelKind::batch_norm, vector_math(dt_), 2 * elems, (2 * elems + 4 * c) * elem_);
  k.elements = elems;
  k.planes = n * c;
  output(elems);
}

void Builder::pool(std::string_view aten, double in_elems, double out_elems, double window) {
  begin_op(id(aten), OpClass::pool);
  Kernel& k = add_kernel(n_.k_pool, KernelKind::pool, vector_math(dt_), in_elems, (in_elems + out_elems) * elem_);
  k.elements = in_elems;
  if (window > 0) k.outputs = out_elems, k.window = window;
}

void Builder::reduction(std::string_view aten, double in_elems, double out_elems) {
  begin_op(id(aten), OpClass::reduction);
  add_kernel(n_.k_reduce, KernelKind::reduction, vector_math(dt_), in_elems, (in_elems + out_elems) * elem_);
  output(out_elems);
}

void Builder::copy(std::string_view aten, double elems, double out_elem_bytes) {
  begin_op(id(aten), OpClass::copy);
  double out = out_elem_bytes > 0 ? out_elem_bytes : elem_;
  add_kernel(n_.k_copy, KernelKind::copy, vector_math(dt_), 0, elems * (elem_ + out));
}

void Builder::strided_copy(std::string_view aten, double elems) {
  begin_op(id(aten), OpClass::copy);
  add_kernel(n_.k_copy, KernelKind::strided, vector_math(dt_), 0, 2 * elems * elem_).elements = elems;
}

void Builder::broadcast_elementwise(std::string_view aten, double elems, int inputs, double flops_per_elem) {
  begin_op(id(aten), OpClass::elementwise);
  add_kernel(n_.k_elementwise, KernelKind::strided, vector_math(dt_), elems * flops_per_elem,
             (inputs + 1) * elems * elem_)
      .elements = elems;
  output(elems);
  mark_function(aten, elems);
}

void Builder::concat(double out_elems) {
  begin_op(n_.cat, OpClass::copy);
  add_kernel(n_.k_copy, KernelKind::copy, vector_math(dt_), 0, 2 * out_elems * elem_);
}

}  // namespace fwtax
