#include "model/kernel_time.hpp"

#include <algorithm>

namespace fwtax {

std::string_view bound_name(Bound b) {
  switch (b) {
    case Bound::compute: return "compute";
    case Bound::memory: return "memory";
    case Bound::floor: return "floor";
  }
  return "floor";
}

bool is_matrix_kind(KernelKind k) {
  return k == KernelKind::gemm || k == KernelKind::conv || k == KernelKind::attention;
}

namespace {

struct Parts {
  double compute = 0, memory = 0, peak = 0;
};

// Compute and memory time of one kernel in one pass (the simulator's inner loop).
inline Parts parts(const DeviceSpec& d, const Kernel& k) {
  Parts p;
  double factor = d.kind_time_factor[static_cast<int>(k.kind)];
  bool matrix = is_matrix_kind(k.kind);
  if (k.flops > 0) {
    int m = static_cast<int>(d.peak_flops_per_s[static_cast<int>(k.math)] > 0 ? k.math : effective_math(d, k.math));
    p.peak = d.peak_flops_per_s[m];
    if (p.peak <= 0) p.peak = d.peak_flops_per_s[static_cast<int>(Math::fp32_simt)];
    if (!matrix) {
      p.compute = k.flops / p.peak;
    } else {
      const Curve* c = &d.gemm_efficiency[m];
      if (k.form == GemmForm::linear && !d.linear_efficiency[m].empty()) c = &d.linear_efficiency[m];
      if (c->empty()) c = &d.gemm_efficiency[static_cast<int>(Math::fp32_simt)];
      double eff = c->empty() ? 1.0 : c->at(k.flops);
      p.compute = k.flops / (p.peak * eff) * factor;
    }
  }
  if (k.bytes > 0) {
    double eff = d.memory_efficiency.empty() ? 1.0 : d.memory_efficiency.at(k.bytes);
    p.memory = k.bytes / (d.memory_bandwidth_bytes_per_s * eff) * (matrix ? 1.0 : factor);
  }
  return p;
}

}  // namespace

double KernelTimer::compute_time_s(const Kernel& k) const { return parts(d_, k).compute; }
double KernelTimer::memory_time_s(const Kernel& k) const { return parts(d_, k).memory; }

KernelTime KernelTimer::time(const Kernel& k) const {
  Parts p = parts(d_, k);
  double tf = d_.kernel_min_s;
  KernelTime r;
  if (k.measured_s >= 0) {  // measured on this device: the model only says what bound it
    r.time_s = k.measured_s;
    r.bound = p.compute >= p.memory && p.compute >= tf ? Bound::compute : p.memory >= tf ? Bound::memory : Bound::floor;
    r.utilization = r.bound == Bound::compute ? k.flops / (k.measured_s * p.peak)
                    : r.bound == Bound::memory ? k.bytes / (k.measured_s * d_.memory_bandwidth_bytes_per_s)
                                               : 0;
    return r;
  }
  if (p.compute >= p.memory && p.compute >= tf) {
    r.time_s = p.compute;
    r.bound = Bound::compute;
    r.utilization = p.peak > 0 ? k.flops / (p.compute * p.peak) : 0;
  } else if (p.memory >= tf) {
    r.time_s = p.memory;
    r.bound = Bound::memory;
    r.utilization = k.bytes / (p.memory * d_.memory_bandwidth_bytes_per_s);
  } else {
    r.time_s = tf;
    r.bound = Bound::floor;
  }
  return r;
}

}  // namespace fwtax
