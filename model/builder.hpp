#pragma once
// Emits framework ops and the kernels each one launches, following what PyTorch 2.x dispatches on
// CUDA (cuBLAS, cuDNN 9) or on the CPU. Architecture builders and the HF config reader call it;
// shapes are in elements, sizes are computed here once so every builder counts FLOPs and bytes
// the same way.
#include <array>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "model/device.hpp"
#include "model/framework.hpp"
#include "model/passes.hpp"
#include "model/workload.hpp"

namespace fwtax {

// What the GPU libraries (cuBLAS, cuBLASLt, cuDNN) decide by shape, as the builder applies it: the
// built-in data/libraries.json, where each threshold says what it was read from. Zero until read.
struct LibraryHeuristics {
  // cuBLAS's FP32 (SIMT) split-K: taken where the output's tile_m x tile_n tiles fill less than
  // max_fill of the GPU's SMs and K is at least min_k (with FrameworkSpec::gemm_split_k).
  double split_k_tile_m = 0, split_k_tile_n = 0, split_k_max_fill = 0, split_k_min_k = 0;
  // cuBLASLt's stream-K tensor-core GEMMs clear a workspace of this many bytes from this many outputs.
  double stream_k_min_outputs = 0, stream_k_bytes = 0;
  // cuDNN's 1x1 tensor-core convolutions clear a workspace (bytes per output element) from this many
  // outputs; its NHWC tensor-core convolutions transform their output back to NCHW from this many.
  double conv_workspace_min_outputs = 0, conv_workspace_bytes_per_output = 0, conv_nchw_output_min_outputs = 0,
         conv_nchw_output_min_outputs_half = 0;
  // cuDNN runs an ungrouped 3x3 stride-1 convolution on the CUDA cores as Winograd from this many
  // channels in and out.
  double winograd_min_channels = 0;
  // What a profile without parallel_units is taken to have: SMs of a GPU, cores of a CPU.
  double default_gpu_units = 0, default_cpu_units = 0;
};
// Reads the heuristics' file form (data/libraries.json): every section and value required, each a number
// > 0 (max_fill in (0, 1]); unknown members are reported.
LibraryHeuristics parse_library_heuristics(const Json& j, Diagnostics& diag);
// The built-in heuristics (data/libraries.json), read once.
const LibraryHeuristics& builtin_library_heuristics();

// The execution environment facts that change which kernels an op launches.
struct Backend {
  bool gpu = true;
  double parallel_units = 132;   // SMs (GPU) or cores (CPU)
  bool tf32_matmul = false;      // fp32 matmuls on TF32 tensor cores
  bool tf32_conv = true;         // fp32 convolutions on TF32 tensor cores
  bool half_tensor_cores = true; // fp16/bf16 tensor cores present
  bool gemm_split_k = true;      // small fp32 GEMMs as cuBLASLt's split-K (FrameworkSpec)
  double conv_workspace_limit_bytes = 0;  // cuDNN's workspace cap (FrameworkSpec); 0: none
  double winograd_conv_speedup = 1;       // cuDNN's Winograd on the CUDA cores (FrameworkSpec); 1: none
  // cuDNN's generic transpose around grouped TF32 convolutions of at least this many output rows, at
  // this share of the DRAM bandwidth (FrameworkSpec::grouped_tf32_conv_transpose on this GPU); 0: none
  double grouped_conv_transpose_min_rows = 0;
  double grouped_conv_transpose_bandwidth_fraction = 1;
  bool record_scopes = false;    // keep module paths for breakdowns (slower)
  bool graph_capture = false;    // the forward is captured in a CUDA graph (framework mode graph)
  bool jit_traced = false;       // the forward was recorded by torch.jit.trace (framework mode script)
  bool dynamo_traced = false;    // the forward was captured by TorchDynamo for Inductor (framework mode wrapper)
  // The stack runs its own convolutions (FrameworkSpec::conv_flops_per_s: ONNX Runtime's MLAS on a
  // CPU): one convolution kernel each, with its weights laid out once, whatever ATen would pick.
  bool stack_convolutions = false;
  // The attention HF transformers run (FrameworkSpec::hf_attention); empty: the model's own.
  std::string hf_attention;
  // The framework's workload passes (FrameworkSpec::passes), which build_workload applies to what
  // the builder emitted.
  std::vector<const WorkloadPass*> passes;
  LibraryHeuristics libraries = builtin_library_heuristics();
};
Backend make_backend(const DeviceSpec& device, const FrameworkSpec& framework);
// The framework's workload passes that run on this device (FrameworkPass's compute capability bounds).
std::vector<const WorkloadPass*> passes_for(const DeviceSpec& device, const FrameworkSpec& framework);

class Builder {
 public:
  Builder(Workload& w, const Backend& b, DType dtype);

  const Backend& backend() const { return b_; }
  DType dtype() const { return dt_; }
  double elem() const { return elem_; }

  // Python module call (no kernels); `scope` names it in breakdowns. A container call (any class but
  // module_leaf) is also the module that the ops after it run in (Op::module), until the next
  // container call or resume().
  void module(OpClass glue, std::string_view scope = {});
  // A container call whose ops count with the module that called it (a torchvision Conv2dNormActivation
  // inside a block), so that breakdowns group a CNN by its blocks rather than by its helpers.
  void unit(OpClass glue, std::string_view scope);
  // The ops that follow run in the container `scope` again, as when a nested container has returned
  // (a transformer block's residual add after its MLP). Emits nothing: it only names ops in breakdowns.
  void resume(std::string_view scope);
  // Ops without kernels: view, reshape, transpose, expand, slice, select, flatten, t.
  void view(std::string_view aten = "aten::view");
  // Inference dropout (aten::dropout or the in-place aten::dropout_): no kernel, a no-op (Op::noop)
  // that the drop_noop_ops pass removes.
  void dropout(std::string_view aten = "aten::dropout");
  void alloc();
  // torch.zeros / ones: an allocation and a fill kernel.
  void alloc_zeros(double elems);
  // A read back to the host (.item(), a Python `if` on a GPU tensor, a blocking copy): a tiny copy
  // kernel, then the host waits for the GPU.
  void sync_read(std::string_view aten);

  // y = x W^T + b on `rows` rows.
  void linear(double rows, double in, double out, bool bias = true);
  // Batched matrix product [batch, m, k] x [batch, k, n].
  void matmul(double batch, double m, double n, double k, std::string_view aten = "aten::matmul");
  // Streaming elementwise op reading `inputs` tensors of `elems` elements and writing one. A Python
  // number operand (0.5 * x) is no tensor input: the kernel takes it as an argument. `rereads` of the
  // inputs are tensors an earlier op of the same pointwise chain already read (Kernel::reread_bytes).
  void elementwise(std::string_view aten, double elems, int inputs = 1, double flops_per_elem = 1, int rereads = 0);
  // The last op's output is read again after the ops that follow it (Kernel::output_kept): a pre-norm
  // block's residual add, which the next norm reads and the next residual add reads again.
  void keep_output();
  void layer_norm(double rows, double cols, std::string_view aten = "aten::layer_norm");
  void softmax(double rows, double cols);
  // Fused scaled-dot-product attention over [b, h, sq, d] x [b, h, sk, d].
  // With grouped-query attention, `kv_heads` key/value heads (0: as many as the query heads) are read.
  void sdpa(double b, double h, double sq, double sk, double d, bool causal, double kv_heads = 0);
  // SDPA's math fallback with a materialized mask (aten::_scaled_dot_product_attention_math).
  // `decomposed`: as Inductor receives it (the math path decomposed into its aten ops, each an op of
  // its own that the compile pass fuses or leaves to cuBLAS).
  void sdpa_math(double b, double h, double sq, double sk, double d, bool decomposed = false);
  void embedding(double rows, double dim);
  // Index gather without a table (e.g. HF BERT's buffered token_type_ids).
  void gather(double elems, std::string_view aten = "aten::gather");
  void conv2d(double n, double cin, double h, double w, double cout, double kh, double kw, double stride,
              double pad_h, double pad_w, double groups = 1, bool bias = false);
  void batch_norm(double n, double c, double h, double w);
  // `window`: the input elements each output reads (k x k; 0: not known).
  void pool(std::string_view aten, double in_elems, double out_elems, double window = 0);
  void reduction(std::string_view aten, double in_elems, double out_elems);
  void copy(std::string_view aten, double elems, double out_elem_bytes = 0);
  // .contiguous() of a transposed or permuted view, and elementwise ops with a broadcast operand:
  // ATen cannot vectorize them and runs its generic kernel, bound by the elements it processes
  // (KernelKind::strided).
  void strided_copy(std::string_view aten, double elems);
  void broadcast_elementwise(std::string_view aten, double elems, int inputs = 2, double flops_per_elem = 1);
  void concat(double out_elems);

  // Between begin_fused and end_fused every kernel joins one op (a C++ op that runs a whole layer).
  void begin_fused(std::string_view aten, OpClass cls);
  void end_fused() { fused_ = false; }

  // Whether ATen runs an fp32 CPU convolution on oneDNN (else its native path: im2col and a BLAS GEMM
  // per image). ATen's ConvParams::use_mkldnn (PyTorch 1.13 to 2.x): oneDNN unless a 1x1 unstrided
  // convolution on fewer than 16 images runs on one thread, or an ungrouped convolution with a kernel
  // of at most 3x3 sees one image of at most 20480 elements. Checked against the profiler on 1280
  // configurations with one and two threads (Debian's torch 1.13).
  static bool cpu_conv_uses_onednn(double n, double cin, double h, double w, double kh, double kw, double stride,
                                   double groups, double threads) {
    bool pointwise_single = kh == 1 && kw == 1 && stride == 1 && n < 16 && threads <= 1;
    bool small_native = groups == 1 && (kh <= 3 || kw <= 3) && n <= 1 && n * cin * h * w <= 20480;
    return !pointwise_single && !small_native;
  }
  // Output side of a convolution, for callers that track shapes.
  static double conv_out(double in, double k, double stride, double pad) {
    return std::floor((in + 2 * pad - k) / stride) + 1;
  }

 private:
  std::uint32_t begin_op(std::uint32_t name, OpClass cls);
  // Records the math function of the elementwise kernel just added (aten::tanh ...), if it has one.
  void mark_function(std::string_view aten, double elems);
  // Adds a kernel to the last op and returns it (valid until the next kernel is added): m, n, k are a
  // matrix product's GEMM view; an element-bound kernel's counts are set on the result.
  Kernel& add_kernel(std::uint32_t name, KernelKind kind, Math math, double flops, double bytes, double m = 0,
                     double n = 0, double k = 0, GemmForm form = GemmForm::matmul);
  // The same, for an earlier op whose kernels are still the last ones.
  Kernel& add_kernel_to(std::uint32_t op, std::uint32_t name, KernelKind kind, Math math, double flops,
                        double bytes, double m = 0, double n = 0, double k = 0, GemmForm form = GemmForm::matmul);
  void conv_bias(std::uint32_t op, double out_elems);
  // Records the output size of the last kernel (Kernel::out_bytes), for fusing passes.
  void output(double elems) { w_.kernels.back().out_bytes = elems * elem_; }
  void gemm_kernels(double m, double n, double k, GemmForm form, bool bias, double batch);
  std::uint32_t id(std::string_view s) { return w_.intern(s); }

  Workload& w_;
  Backend b_;
  DType dt_;
  double elem_;
  bool fused_ = false;
  std::uint32_t module_ = 0;  // the container the next ops run in (record_scopes; 0: none yet)
  // Names interned once per workload: the hot path does no string work.
  struct Names {
    std::uint32_t view, dropout, empty, linear, matmul, layer_norm, softmax, sdpa, embedding, conv, batch_norm,
        cat, module;
    std::uint32_t k_gemm, k_gemv, k_splitk_memset, k_splitk_scale, k_splitk_epilogue, k_attn, k_attn_memset,
        k_elementwise, k_norm, k_softmax, k_gather, k_conv, k_conv_dw, k_conv_winograd, k_conv_ws, k_to_nhwc, k_to_nchw, k_generic_transpose, k_bn_cvt, k_bn,
        k_pool, k_reduce, k_copy, k_im2col;
  } n_;
};

}  // namespace fwtax
