#include <doctest/doctest.h>

#include "model/kernel_time.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {
Kernel kernel(KernelKind kind, Math math, double flops, double bytes) {
  Kernel k;
  k.kind = kind;
  k.math = math;
  k.flops = flops;
  k.bytes = bytes;
  return k;
}
}  // namespace

TEST_CASE("a large GEMM is compute-bound at peak when the efficiency is 1") {
  DeviceSpec d = test::toy_gpu();
  KernelTime t = KernelTimer(d).time(kernel(KernelKind::gemm, Math::fp32_simt, 1e9, 4e6));
  CHECK(t.time_s == doctest::Approx(10e-6));
  CHECK(t.bound == Bound::compute);
  CHECK(t.utilization == doctest::Approx(1.0));
}

TEST_CASE("a streaming kernel is memory-bound at bandwidth") {
  DeviceSpec d = test::toy_gpu();
  KernelTime t = KernelTimer(d).time(kernel(KernelKind::elementwise, Math::fp32_simt, 1e6, 1e8));
  CHECK(t.time_s == doctest::Approx(100e-6));
  CHECK(t.bound == Bound::memory);
}

TEST_CASE("a tiny kernel is floored by the device's minimum kernel time") {
  DeviceSpec d = test::toy_gpu();
  KernelTime t = KernelTimer(d).time(kernel(KernelKind::elementwise, Math::fp32_simt, 10, 1e3));
  CHECK(t.time_s == doctest::Approx(1e-6));
  CHECK(t.bound == Bound::floor);
}

TEST_CASE("GEMM efficiency is interpolated in log size and clamped at the ends") {
  DeviceSpec d = test::toy_gpu();
  d.gemm_efficiency[static_cast<int>(Math::fp32_simt)] = Curve({{1e6, 0.1}, {1e9, 0.8}});
  KernelTimer timer(d);
  CHECK(timer.time(kernel(KernelKind::gemm, Math::fp32_simt, 1e9, 0)).time_s == doctest::Approx(1e9 / (1e14 * 0.8)));
  // log-midpoint of 1e6 and 1e9 is 10^7.5: efficiency halfway, 0.45
  double mid = std::pow(10.0, 7.5);
  CHECK(timer.time(kernel(KernelKind::gemm, Math::fp32_simt, mid, 0)).time_s == doctest::Approx(mid / (1e14 * 0.45)));
  CHECK(timer.time(kernel(KernelKind::gemm, Math::fp32_simt, 1e12, 0)).time_s ==
        doctest::Approx(1e12 / (1e14 * 0.8)));
}

TEST_CASE("a kind's time factor slows kernels of that kind only") {
  DeviceSpec d = test::toy_gpu();
  d.kind_time_factor[static_cast<int>(KernelKind::norm)] = 2.0;
  KernelTimer timer(d);
  CHECK(timer.time(kernel(KernelKind::norm, Math::fp32_simt, 0, 1e8)).time_s == doctest::Approx(200e-6));
  CHECK(timer.time(kernel(KernelKind::elementwise, Math::fp32_simt, 0, 1e8)).time_s == doctest::Approx(100e-6));
}

TEST_CASE("a tensor-core kernel on a device without that unit falls back to fp32") {
  DeviceSpec d = test::toy_gpu();
  d.peak_flops_per_s[static_cast<int>(Math::fp16_tensor)] = 0;
  CHECK(effective_math(d, Math::fp16_tensor) == Math::fp32_simt);
  CHECK(KernelTimer(d).time(kernel(KernelKind::gemm, Math::fp16_tensor, 1e9, 0)).time_s == doctest::Approx(10e-6));
}

TEST_CASE("inherited curves are stretched by the peak ratio") {
  DeviceSpec ref = test::toy_gpu();
  ref.gemm_efficiency[static_cast<int>(Math::fp32_simt)] = Curve({{1e6, 0.1}, {1e9, 0.8}});
  ref.memory_efficiency = Curve({{1e3, 0.1}, {1e6, 0.9}});
  DeviceSpec slow = test::toy_gpu();
  slow.peak_flops_per_s[static_cast<int>(Math::fp32_simt)] = 10e12;  // 10x slower
  slow.memory_bandwidth_bytes_per_s = 0.5e12;
  inherit_efficiency(slow, ref);
  // A kernel of 1e8 FLOPs on the slow device is as efficient as one of 1e9 on the reference.
  CHECK(slow.gemm_efficiency[static_cast<int>(Math::fp32_simt)].at(1e8) == doctest::Approx(0.8));
  CHECK(slow.memory_efficiency.at(0.5e6) == doctest::Approx(0.9));
}

TEST_CASE("curve lookups agree with exact log interpolation") {
  Curve c({{1.0, 0.0}, {1e12, 1.0}});
  for (double x : {1.5, 3.0, 7.7, 1e3, 12345.6789, 5e8, 9.99e11}) {
    CAPTURE(x);
    CHECK(c.at(x) == doctest::Approx(std::log10(x) / 12).epsilon(1e-6));
  }
}
