#include "model/kernel_time.hpp"

#include <algorithm>

namespace fwtax {

std::string_view bound_name(Bound b) {
  switch (b) {
    case Bound::compute: return "compute";
    case Bound::memory: return "memory";
    case Bound::floor: return "floor";
    case Bound::elements: return "elements";
  }
  return "floor";
}

bool is_matrix_kind(KernelKind k) {
  return k == KernelKind::gemm || k == KernelKind::conv || k == KernelKind::depthwise || k == KernelKind::attention;
}

namespace {

struct Parts {
  double compute = 0, memory = 0, peak = 0;
  double elements = 0;  // the element bounds alone (included in memory)
  double floor = 0;     // a kind's own shortest kernel, above the device's
};

// Compute and memory time of one kernel in one pass (the simulator's inner loop). `eff_of` gives the
// efficiency of a matrix kernel.
template <typename Eff>
inline Parts parts(const DeviceSpec& d, const Kernel& k, const std::vector<std::pair<double, double>>& stream_floor,
                   Eff eff_of) {
  Parts p;
  double factor = d.kind_time_factor[static_cast<int>(k.kind)];
  bool matrix = is_matrix_kind(k.kind);
  if (k.flops > 0) {
    int m = static_cast<int>(d.peak_flops_per_s[static_cast<int>(k.math)] > 0 ? k.math : effective_math(d, k.math));
    p.peak = d.peak_flops_per_s[m];
    if (p.peak <= 0) p.peak = d.peak_flops_per_s[static_cast<int>(Math::fp32_simt)];
    if (!matrix) {
      p.compute = k.flops / k.flops_divisor / p.peak;
    } else {
      p.compute = k.flops / k.flops_divisor / (p.peak * eff_of(k, m)) * factor * (k.causal ? d.causal_attention_factor : 1.0);
    }
  }
  if (k.bytes > 0) {
    double eff = d.memory_efficiency.empty() ? 1.0 : d.memory_efficiency.at(k.bytes);
    // A matrix kind's factor slows its arithmetic; a depthwise convolution's, which streams its input
    // a few multiply-adds per element, the whole kernel.
    const double kind = matrix && k.kind != KernelKind::depthwise ? 1.0 : factor;
    p.memory = k.bytes / (d.memory_bandwidth_bytes_per_s * eff * k.bandwidth_fraction) * kind;
    // A streaming kernel takes at least the time measured for the largest point of the memory curve
    // at or below its bytes: below the smallest one it waits on DRAM latency, not bandwidth, and
    // between two points the curve's interpolation (efficiency linear in log bytes) must not make
    // more bytes take less time than the point before (up to 16% less between the H100's first two).
    if (!matrix && !stream_floor.empty()) {
      auto it = std::upper_bound(stream_floor.begin(), stream_floor.end(), std::make_pair(k.bytes, 1e300));
      const double floor = it == stream_floor.begin() ? stream_floor.front().second : std::prev(it)->second * kind;
      p.memory = std::max(p.memory, floor);
    }
  }
  // The generic elementwise kernel, and NCHW pooling (a thread per output element walking its window
  // with the same index arithmetic): as many elements per second as that arithmetic allows. A GPU's pool
  // whose window is known: a thread per output, each walking its window; else its inputs.
  if ((k.kind == KernelKind::strided || k.kind == KernelKind::pool) && d.strided_elements_per_s > 0)
    p.elements = k.kind == KernelKind::pool && d.pool_window_elements_per_s > 0 && k.outputs > 0 && k.window > 0
                     ? k.outputs / d.strided_elements_per_s + k.outputs * (k.window - 1) / d.pool_window_elements_per_s
                     : k.elements / d.strided_elements_per_s;
  // cuDNN's layout transform: the shortest streaming kernel plus its tiles' elements (DeviceSpec).
  if (k.kind == KernelKind::layout && k.elements > 0 && d.layout_tile_elements_per_s > 0)
    p.elements = std::max(p.elements, (stream_floor.empty() ? d.kernel_min_s : stream_floor.front().second) +
                                          k.elements / d.layout_tile_elements_per_s);
  // A CPU's pooling kernel, window element by window element (calibrated on max_pool2d).
  if (k.kind == KernelKind::pool && d.pool_elements_per_s > 0)
    p.elements = std::max(p.elements, k.elements / d.pool_elements_per_s);
  // A math function evaluated per element (a CPU's tanh or erf): its evaluation rate, not DRAM, bounds it.
  if (k.func != ElemFunc::none && d.function_elements_per_s[static_cast<int>(k.func)] > 0)
    p.elements = std::max(p.elements, k.elements / d.function_elements_per_s[static_cast<int>(k.func)]);
  // NCHW batch norm, plane by plane.
  if (k.kind == KernelKind::batch_norm && k.elements > 0 && k.planes > 0) {
    const auto& b = d.batch_norm;
    if (b.elements_per_s > 0) p.elements = std::max(p.elements, k.elements / b.elements_per_s);
    if (b.planes_per_s > 0) p.elements = std::max(p.elements, k.planes / b.planes_per_s);
    if (b.plane_elements_per_s > 0) p.elements = std::max(p.elements, k.elements / k.planes / b.plane_elements_per_s);
    p.floor = b.min_s;
  }
  p.memory = std::max({p.memory, p.elements, p.floor});
  return p;
}

}  // namespace

KernelTimer::KernelTimer(const DeviceSpec& device) : d_(device) {
  // On a GPU (a CPU's small operands sit in its caches, and its add sweep is net of dispatch).
  if (d_.kind != DeviceKind::gpu || !(d_.memory_bandwidth_bytes_per_s > 0)) return;
  double longest = 0;
  for (auto [x, y] : d_.memory_efficiency.points())
    if (x > 0 && y > 0) {
      longest = std::max(longest, x / (d_.memory_bandwidth_bytes_per_s * y));
      stream_floor_.emplace_back(x, longest);
    }
}

double KernelTimer::matrix_efficiency(const Kernel& k, int m) const {
  // Calibrated shapes of the kernel's kind first (GEMMs for GEMMs and linears, convolutions for
  // convolutions), else the FLOPs curve of its kind.
  const bool conv = k.kind == KernelKind::conv || k.kind == KernelKind::depthwise;
  const ShapeEfficiency* shapes = nullptr;
  if (k.m > 0 && k.n > 0 && k.k > 0 && k.kind != KernelKind::attention) {
    if (conv) shapes = d_.conv_shapes[m].empty() ? nullptr : &d_.conv_shapes[m];
    else if (k.form == GemmForm::linear && !d_.linear_shapes[m].empty()) shapes = &d_.linear_shapes[m];
    else if (!d_.gemm_shapes[m].empty()) shapes = &d_.gemm_shapes[m];
  }
  if (shapes) {
    for (const auto& e : memo_)
      if (e.table == shapes && e.m == k.m && e.n == k.n && e.k == k.k) return e.eff;
    // Convolution sweeps stop short of filling a GPU (the committed ones at batch 32): past their end they
    // follow their last step; GEMM and linear sweeps reach sizes that fill it and hold (ShapeEfficiency).
    const bool gpu = d_.kind == DeviceKind::gpu;
    double eff = shapes->at(k.m, k.n, k.k, gpu, gpu && conv);
    memo_[next_++ % memo_.size()] = {k.m, k.n, k.k, shapes, eff};
    return eff;
  }
  const Curve* c = &d_.gemm_efficiency[m];
  if (k.form == GemmForm::linear && !d_.linear_efficiency[m].empty()) c = &d_.linear_efficiency[m];
  if (conv && !d_.conv_efficiency[m].empty()) c = &d_.conv_efficiency[m];
  if (k.kind == KernelKind::attention && !d_.attention_efficiency[m].empty()) c = &d_.attention_efficiency[m];
  if (c->empty()) c = &d_.gemm_efficiency[static_cast<int>(Math::fp32_simt)];
  return c->empty() ? 1.0 : c->at(k.flops / k.flops_divisor);
}

double KernelTimer::compute_time_s(const Kernel& k) const {
  return parts(d_, k, stream_floor_, [&](const Kernel& x, int m) { return matrix_efficiency(x, m); }).compute;
}
double KernelTimer::memory_time_s(const Kernel& k) const {
  return parts(d_, k, stream_floor_, [&](const Kernel& x, int m) { return matrix_efficiency(x, m); }).memory;
}

KernelTime KernelTimer::time(const Kernel& k) const {
  Parts p = parts(d_, k, stream_floor_, [&](const Kernel& x, int m) { return matrix_efficiency(x, m); });
  double tf = std::max(d_.kernel_min_s, p.floor);
  KernelTime r;
  // Which limit binds; `p.memory` already holds the element bounds and the kind's floor.
  Bound b = p.compute >= p.memory && p.compute >= tf ? Bound::compute
            : p.memory <= tf || p.floor >= p.memory  ? Bound::floor
            : p.elements >= p.memory                 ? Bound::elements
                                                     : Bound::memory;
  r.bound = b;
  r.time_s = k.measured_s >= 0 ? k.measured_s  // measured on this device: the model only says what bound it
             : b == Bound::compute ? p.compute
             : b == Bound::floor   ? tf
                                   : p.memory;
  // Utilization: of the math peak where compute binds, else of the DRAM bandwidth (how little of it an
  // element-bound kernel uses); none at the floor.
  r.utilization = b == Bound::compute ? (p.peak > 0 ? k.flops / (r.time_s * p.peak) : 0)
                  : b == Bound::floor ? 0
                                      : k.bytes / (r.time_s * d_.memory_bandwidth_bytes_per_s);
  return r;
}

}  // namespace fwtax
