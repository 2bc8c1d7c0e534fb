#pragma once
// Device profile: what the hardware can do (peaks, bandwidth, calibrated efficiency curves) and
// what it costs to feed it (launch, graph replay, synchronization). JSON -> DeviceSpec -> validate.
#include <array>
#include <string_view>
#include <vector>
#include <string>

#include "model/curve.hpp"
#include "model/dtype.hpp"
#include "model/framework.hpp"
#include "model/host.hpp"
#include "model/json_spec.hpp"
#include "model/workload.hpp"

namespace fwtax {

enum class DeviceKind { gpu, cpu };

// Above any CUDA compute capability (major.minor; 12.x in 2026): a larger one is a typo (61 for 6.1).
constexpr double kMaxComputeCapability = 20;
// Adds an error at `where` when a compute capability read from a profile (0: not given) is a typo.
void check_compute_capability(double cc, const std::string& where, Diagnostics& diag);

struct DeviceSpec {
  std::string name;                  // required
  std::string description;           // defaulted: ""
  DeviceKind kind = DeviceKind::gpu;  // required
  std::string host;                  // required: the host profile it is paired with
  double parallel_units = 0;         // optional: SMs (GPU) or cores (CPU); sizes efficiency curves
  // optional, GPUs only: the CUDA compute capability (major.minor, e.g. 7.5); what a framework's
  // libraries choose by it (PyTorch 1.12's TorchScript fuser: nvFuser from 7.0, NNC before; see
  // FrameworkPass). 0: not given, taken as the newest.
  double compute_capability = 0;

  // Peak FLOP/s per math; 0 = not supported by the hardware (falls back, see effective_math()).
  std::array<double, kMathCount> peak_flops_per_s{};
  double memory_bandwidth_bytes_per_s = 0;  // required
  double memory_capacity_bytes = 0;         // optional

  // Efficiency curves (fraction of peak): GEMM-like kernels by FLOPs, streaming kernels by bytes.
  std::array<Curve, kMathCount> gemm_efficiency;
  std::array<Curve, kMathCount> linear_efficiency;  // x @ W^T + b; falls back to gemm_efficiency
  std::array<Curve, kMathCount> conv_efficiency;    // convolutions; falls back to gemm_efficiency
  // Scaled dot-product attention by its FLOPs, where measured as a whole (a CPU's math path: two
  // batched GEMMs and the softmax between them); else gemm_efficiency times kind_time_factor.
  std::array<Curve, kMathCount> attention_efficiency;
  // Shape-aware efficiencies (m, n, k); used instead of the FLOPs curves where calibrated.
  std::array<ShapeEfficiency, kMathCount> gemm_shapes, linear_shapes, conv_shapes;
  Curve memory_efficiency;
  // Per kernel kind, time relative to the base curve (attention vs GEMM, norm vs streaming): >= 1.
  std::array<double, kKernelKindCount> kind_time_factor = filled(1.0);
  std::string efficiency_like;  // inherit curves from this device, with sizes rescaled
  // Time of a causal attention kernel over that of a kernel doing its (halved) FLOPs: 1 where the
  // kernel skips the masked half (flash attention), about 2 or more where it computes everything and
  // masks after (the math path).
  double causal_attention_factor = 1.0;
  // Elements per second of ATen's generic (non-vectorized) elementwise kernel, which strided copies,
  // broadcasts and unvectorizable casts run on: its index arithmetic, not DRAM, bounds it (0: no bound).
  double strided_elements_per_s = 0;
  // Elements per second of an elementwise kernel evaluating a math function (ElemFunc; index 0 unused),
  // measured on CPUs (0: no bound beyond memory, as on GPUs, whose special-function units keep up).
  std::array<double, kElemFuncCount> function_elements_per_s{};
  // Input elements per second of a CPU's NCHW pooling kernel (ATen's max_pool2d walks each output's
  // window element by element, far below memory speed: 0: no bound beyond memory; GPUs use
  // strided_elements_per_s).
  double pool_elements_per_s = 0;
  // A GPU's NCHW pooling kernel runs a thread per output element that walks its window: a thread costs
  // what a generic elementwise kernel's does (strided_elements_per_s) plus each window element after the
  // first at this rate. 0: a pool is bound by its input elements at strided_elements_per_s.
  double pool_window_elements_per_s = 0;
  // cuDNN's NCHW <-> NHWC transform (KernelKind::layout before and after its tensor-core convolutions)
  // moves 32 x 32 tiles of (channels, positions): it takes the shortest streaming kernel plus the
  // elements its tiles span (Kernel::elements) at this rate; a tensor with under 32 channels or positions
  // (a 3x3 weight, a 3-channel image) pays for whole tiles. 0: bound by its bytes alone.
  double layout_tile_elements_per_s = 0;
  // NCHW batch norm (cuDNN's inference kernel in fp32, ATen's in half precision) works plane by plane
  // (one sample's channel): it is bound by the elements it normalizes, by the planes (small spatial
  // sizes), by one plane's elements where there are too few planes to fill the GPU, and it takes at
  // least min_s. Each 0: no such bound.
  struct BatchNormBounds {
    double elements_per_s = 0, planes_per_s = 0, plane_elements_per_s = 0, min_s = 0;
  } batch_norm;

  double kernel_min_s = 0;           // required: shortest kernel, back to back on the GPU
  double launch_host_s = 0;          // host time of one kernel launch (GPU)
  double launch_latency_s = 0;       // enqueue -> start on an idle GPU
  double sync_s = 0;                 // host return after the GPU finishes (synchronize)
  double graph_launch_host_s = 0;    // host time of one graph launch
  std::string launch_measured_on;    // host the launch costs were measured on ("": the device's own)
  double graph_launch_latency_s = 0; // graph launch -> first kernel start
  double graph_kernel_gap_s = 0;     // GPU time between consecutive kernels of a graph replay
  double stream_kernel_gap_s = 0;    // GPU time between queued kernels launched one by one

  // A calibrated machine carries what was measured on it: its own host and the frameworks whose host
  // costs were measured there (they take precedence over built-in frameworks of the same name).
  std::vector<HostSpec> host_profile;  // empty or one
  std::vector<FrameworkSpec> frameworks;
  const FrameworkSpec* framework(std::string_view name) const {
    for (const auto& f : frameworks)
      if (f.name == name) return &f;
    return nullptr;
  }

  static std::array<double, kKernelKindCount> filled(double v) {
    std::array<double, kKernelKindCount> a{};
    a.fill(v);
    return a;
  }
};

// Parses and validates a device profile; every problem goes to `diag`.
DeviceSpec parse_device(const Json& j, Diagnostics& diag);

// Where a profile's numbers come from, section by section (a file and its place, a datasheet): the
// `source` members of a profile file. "" where a section says nothing.
struct DeviceSources {
  std::string profile;     // /source: how the whole profile was made
  std::string peak;        // /peak_flops_per_s/source
  std::string memory;      // /memory/source
  std::string efficiency;  // /efficiency/source
  std::string launch;      // /launch/source
  std::string kind_time_factor, batch_norm, function_elements_per_s;  // /efficiency/<name>/source
};
DeviceSources read_device_sources(const Json& j);
// The profile file of `d`, the embedded host and frameworks included (those it has); parse_device
// reads it back as `d`. A section without a source says "unspecified".
Json device_to_json(const DeviceSpec& d, const DeviceSources& sources);

// The math actually used for `m` on this device: unsupported tensor-core maths fall back to SIMT.
Math effective_math(const DeviceSpec& d, Math m);
// A warning for a model run in dtype `t` on `d` when the profile lacks the matrix math `t` asks for
// (fp16 or bf16 tensor cores: the V100 has no bf16 ones, Pascal no fp16 ones, a calibrated CPU only
// fp32): it names the device, the dtype and the math its matrix products are predicted in instead.
// Empty when the device has the math. A prediction that silently ran 6x slower than the same model
// in fp16 is what this is for.
std::string dtype_fallback_warning(const DeviceSpec& d, DType t);
// The element-bound rates and times of a device and how each scales with the GPU: `sm_spread` rates
// are spread over the SMs (they grow with the SM count and the clock), a `per_block` rate is one
// thread block's (the clock only), a `time` shrinks with the clock. inherit_efficiency and
// project's scaled devices both go through this one list.
enum class ElementScaling { sm_spread, per_block, time };
template <typename Spec>  // DeviceSpec or const DeviceSpec
auto element_rates(Spec& d) {
  struct Rate {
    decltype(&d.kernel_min_s) value;
    ElementScaling scaling;
  };
  return std::array<Rate, 7>{{{&d.strided_elements_per_s, ElementScaling::sm_spread},
                              {&d.pool_window_elements_per_s, ElementScaling::sm_spread},
                              {&d.layout_tile_elements_per_s, ElementScaling::sm_spread},
                              {&d.batch_norm.elements_per_s, ElementScaling::sm_spread},
                              {&d.batch_norm.planes_per_s, ElementScaling::sm_spread},
                              {&d.batch_norm.plane_elements_per_s, ElementScaling::per_block},
                              {&d.batch_norm.min_s, ElementScaling::time}}};
}

// Copies efficiency curves from `ref`, rescaling their size axes so that a device with fewer
// parallel units (or a lower peak) saturates at proportionally smaller kernels.
void inherit_efficiency(DeviceSpec& d, const DeviceSpec& ref);

}  // namespace fwtax
