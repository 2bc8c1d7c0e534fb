#pragma once
// Kernel time: a roofline of compute and memory time under calibrated efficiencies, floored by the
// shortest kernel the device runs; some kernels are bound instead by the rate at which the SMs work
// through their elements (strided copies, NCHW pooling, batch norm). Each result records which limit
// bound it.
#include <array>
#include <cstdint>
#include <string_view>

#include "model/device.hpp"
#include "model/workload.hpp"

namespace fwtax {

// elements: the SMs' rate of working through the kernel's elements (index arithmetic, plane by plane),
// below what DRAM would allow: faster memory does not speed it up, more SMs do.
enum class Bound : std::uint8_t { compute, memory, floor, elements };
std::string_view bound_name(Bound b);

struct KernelTime {
  double time_s = 0;
  double utilization = 0;  // achieved fraction of the binding peak (FLOP/s or bytes/s)
  Bound bound = Bound::floor;
};

// Times kernels on one device. Cheap to construct; time() does no allocation. Shape-aware GEMM
// efficiencies are memoized for the last few shapes (layers repeat them).
class KernelTimer {
 public:
  explicit KernelTimer(const DeviceSpec& device);
  KernelTime time(const Kernel& k) const;
  // Compute and memory time alone (for reports and the roofline baseline).
  double compute_time_s(const Kernel& k) const;
  double memory_time_s(const Kernel& k) const;
  // Efficiency of a matrix kernel (fraction of its math's peak).
  double matrix_efficiency(const Kernel& k, int math) const;

 private:
  const DeviceSpec& d_;
  struct Memo {
    double m = -1, n = -1, k = -1;
    const void* table = nullptr;
    double eff = 0;
  };
  // GPU: the time of each measured point of the memory curve, at least every smaller point's (bytes,
  // seconds, ascending): a kernel moving more bytes never takes less time than one moving fewer.
  std::vector<std::pair<double, double>> stream_floor_;
  mutable std::array<Memo, 16> memo_{};
  mutable unsigned next_ = 0;
};

bool is_matrix_kind(KernelKind k);

}  // namespace fwtax
