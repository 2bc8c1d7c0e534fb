#include <doctest/doctest.h>

#include <algorithm>

#include "model/arch/architecture.hpp"
#include "model/builder.hpp"
#include "model/catalog.hpp"
#include "model/curve.hpp"
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
  CHECK(t.time_s == test::approx(10e-6));
  CHECK(t.bound == Bound::compute);
  CHECK(t.utilization == test::approx(1.0));
}

TEST_CASE("a streaming kernel is memory-bound at bandwidth") {
  DeviceSpec d = test::toy_gpu();
  KernelTime t = KernelTimer(d).time(kernel(KernelKind::elementwise, Math::fp32_simt, 1e6, 1e8));
  CHECK(t.time_s == test::approx(100e-6));
  CHECK(t.bound == Bound::memory);
}

TEST_CASE("a tiny kernel is floored by the device's minimum kernel time") {
  DeviceSpec d = test::toy_gpu();
  KernelTime t = KernelTimer(d).time(kernel(KernelKind::elementwise, Math::fp32_simt, 10, 1e3));
  CHECK(t.time_s == test::approx(1e-6));
  CHECK(t.bound == Bound::floor);
}

TEST_CASE("median: the middle value, the mean of the two middle ones for an even count, 0 when empty") {
  CHECK(median({}) == 0);
  CHECK(median({7}) == 7);
  CHECK(median({9, 1, 5}) == 5);
  CHECK(median({4, 10, 1, 2}) == 3);  // (2 + 4) / 2: neither the lower nor the upper middle value
  CHECK(median({3, 3, 1, 8, 3, 2}) == 3);
}

TEST_CASE("GEMM efficiency is interpolated in log size and clamped at the ends") {
  DeviceSpec d = test::toy_gpu();
  d.gemm_efficiency[static_cast<int>(Math::fp32_simt)] = Curve({{1e6, 0.1}, {1e9, 0.8}});
  KernelTimer timer(d);
  CHECK(timer.time(kernel(KernelKind::gemm, Math::fp32_simt, 1e9, 0)).time_s == test::approx(1e9 / (1e14 * 0.8)));
  // log-midpoint of 1e6 and 1e9 is 10^7.5: efficiency halfway, 0.45 (its time, 0.7 us, is below the
  // 1 us floor: the compute part says it)
  double mid = std::pow(10.0, 7.5);
  CHECK(timer.compute_time_s(kernel(KernelKind::gemm, Math::fp32_simt, mid, 0)) == test::approx(mid / (1e14 * 0.45)));
  CHECK(timer.time(kernel(KernelKind::gemm, Math::fp32_simt, mid, 0)).time_s == test::approx(1e-6));
  CHECK(timer.time(kernel(KernelKind::gemm, Math::fp32_simt, 1e12, 0)).time_s ==
        test::approx(1e12 / (1e14 * 0.8)));
}

TEST_CASE("a kind's time factor slows kernels of that kind only") {
  DeviceSpec d = test::toy_gpu();
  d.kind_time_factor[static_cast<int>(KernelKind::norm)] = 2.0;
  KernelTimer timer(d);
  CHECK(timer.time(kernel(KernelKind::norm, Math::fp32_simt, 0, 1e8)).time_s == test::approx(200e-6));
  CHECK(timer.time(kernel(KernelKind::elementwise, Math::fp32_simt, 0, 1e8)).time_s == test::approx(100e-6));
}

TEST_CASE("a tensor-core kernel on a device without that unit falls back to fp32") {
  DeviceSpec d = test::toy_gpu();
  d.peak_flops_per_s[static_cast<int>(Math::fp16_tensor)] = 0;
  CHECK(effective_math(d, Math::fp16_tensor) == Math::fp32_simt);
  CHECK(KernelTimer(d).time(kernel(KernelKind::gemm, Math::fp16_tensor, 1e9, 0)).time_s == test::approx(10e-6));
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
  CHECK(slow.gemm_efficiency[static_cast<int>(Math::fp32_simt)].at(1e8) == test::approx(0.8));
  CHECK(slow.memory_efficiency.at(0.5e6) == test::approx(0.9));
}

TEST_CASE("curve lookups agree with exact log interpolation") {
  Curve c({{1.0, 0.0}, {1e12, 1.0}});
  for (double x : {1.5, 3.0, 7.7, 1e3, 12345.6789, 5e8, 9.99e11}) {
    CAPTURE(x);
    CHECK(c.at(x) == test::approx(std::log10(x) / 12).epsilon(1e-6));
  }
}

TEST_CASE("shape efficiency: a sweep over m is interpolated log-log, whatever the order of its points") {
  // Two weight shapes, given interleaved and out of order; (1024, 1024) swept over m = 1, 16, 256.
  ShapeEfficiency s({{256, 1024, 1024, 0.8}, {16, 64, 64, 0.5}, {1, 1024, 1024, 0.02}, {16, 1024, 1024, 0.2}});
  CHECK(s.at(16, 1024, 1024) == test::approx(0.2));
  CHECK(s.at(4, 1024, 1024) == test::approx(std::sqrt(0.02 * 0.2)));  // log-midpoint of m = 1 and 16
  CHECK(s.at(64, 1024, 1024) == test::approx(std::sqrt(0.2 * 0.8)));
  // Monotone in m along the sweep, held at its ends.
  double last = 0;
  for (double m = 1; m <= 256; m *= 2) {
    CAPTURE(m);
    CHECK(s.at(m, 1024, 1024) >= last);
    last = s.at(m, 1024, 1024);
  }
  CHECK(s.at(4096, 1024, 1024) < 0.8 + 1e-12);
  // On a GPU, past its largest m a swept shape keeps its end value: the GEMM already fills the device,
  // and the rows past the sweep do not make it a stranger shape that other sweeps' values dilute
  // (VGG-16's convolutions at batch 128 run 64x the rows of a batch-1 sweep). Without it they do.
  CHECK(s.at(65536, 1024, 1024, true) == test::approx(0.8));
  CHECK(s.at(1 << 24, 64, 64, true) == test::approx(0.5));
  // A sweep that stopped short of filling the device (extend_last_step) instead grows its time at the
  // rate of its last step: from m = 16 to 256 it went from 80 to 320 units, one per row, so m = 65536
  // takes 320 + 65280.
  CHECK(s.at(65536, 1024, 1024, true, true) == test::approx(65536.0 / (320 + 65280)));
  CHECK(s.at(512, 1024, 1024, true, true) == test::approx(512.0 / (320 + 256)));
  // A sweep of one point has no step: its value holds.
  CHECK(s.at(1 << 24, 64, 64, true, true) == test::approx(0.5));
  // A last step whose time grew in proportion to m keeps the end value.
  ShapeEfficiency full({{1024, 512, 512, 0.8}, {4096, 512, 512, 0.8}});
  CHECK(full.at(1 << 20, 512, 512, true, true) == test::approx(0.8));
  CHECK(s.at(65536, 1024, 1024) < 0.79);
  // Below its smallest m the distance still counts: tiny GEMMs differ by shape.
  CHECK(s.at(1, 64, 64, true) != test::approx(0.5));
  // An uncalibrated weight shape takes after the nearer sweep.
  double near_big = s.at(256, 1000, 1000), near_small = s.at(16, 70, 70);
  CHECK(near_big == test::approx(0.8).epsilon(0.05));
  CHECK(near_small == test::approx(0.5).epsilon(0.1));
}

TEST_CASE("shape efficiency stretched for a device 4x faster needs 4x the rows") {
  ShapeEfficiency s({{1, 512, 512, 0.05}, {64, 512, 512, 0.5}});
  ShapeEfficiency fast = s.scaled_m(0.25);  // like Curve::scaled_x: at'(m) = at(0.25 m)
  CHECK(fast.at(256, 512, 512) == test::approx(0.5));
  CHECK(fast.at(4, 512, 512) == test::approx(0.05));
  CHECK(fast.points().size() == 2);
}

TEST_CASE("convolutions use convolution shapes only, not GEMM shapes") {
  DeviceSpec d = test::toy_gpu();
  int f = static_cast<int>(Math::fp32_simt);
  d.gemm_efficiency[f] = Curve({{1e6, 0.5}, {1e9, 0.5}});
  d.gemm_shapes[f] = ShapeEfficiency({{64, 64, 64, 0.1}});
  Kernel conv = kernel(KernelKind::conv, Math::fp32_simt, 2.0 * 64 * 64 * 64, 0);
  conv.m = conv.n = conv.k = 64;
  Kernel gemm = conv;
  gemm.kind = KernelKind::gemm;
  KernelTimer timer(d);
  CHECK(timer.matrix_efficiency(conv, f) == test::approx(0.5));
  CHECK(timer.matrix_efficiency(gemm, f) == test::approx(0.1));
  // Past the largest swept m on a GPU a convolution follows its sweep's last step, a GEMM holds: the
  // same table (time 64 / 0.1 = 640 at m = 64, 16 / 0.05 = 320 at m = 16) for both kinds.
  const ShapeEfficiency table({{16, 64, 64, 0.05}, {64, 64, 64, 0.1}});
  d.gemm_shapes[f] = d.conv_shapes[f] = table;
  KernelTimer both(d);
  conv.m = gemm.m = 256;
  CHECK(both.matrix_efficiency(gemm, f) == test::approx(0.1));
  CHECK(both.matrix_efficiency(conv, f) == test::approx(256.0 / (640 + 192 * (640.0 - 320) / 48)));
}

TEST_CASE("a strided kernel is bound by the elements it processes where the device says how fast") {
  DeviceSpec d = Catalog::builtin().device("h100");
  REQUIRE(d.strided_elements_per_s > 0);
  KernelTimer timer(d);
  Kernel contiguous;
  contiguous.kind = KernelKind::copy;
  contiguous.bytes = 4 * 3.0e6;  // 3 M fp16 elements read and written
  Kernel strided = contiguous;
  strided.kind = KernelKind::strided;
  strided.elements = 3.0e6;
  double t_copy = timer.time(contiguous).time_s, t_strided = timer.time(strided).time_s;
  CHECK(t_strided == test::approx(std::max(t_copy, 3.0e6 / d.strided_elements_per_s)));
  CHECK(t_strided > 1.5 * t_copy);  // the vectorized half copy streams at DRAM speed
  // Without a measured rate the strided kernel streams like any other.
  DeviceSpec plain = d;
  plain.strided_elements_per_s = 0;
  KernelTimer plain_timer(plain);
  CHECK(plain_timer.time(strided).time_s == test::approx(t_copy));
  // Tiny strided kernels take the smallest streaming kernel's time, like any tiny streaming kernel.
  strided.elements = 10;
  strided.bytes = 80;
  Kernel tiny_copy{.bytes = 80, .kind = KernelKind::copy};
  CHECK(timer.time(strided).time_s == test::approx(timer.time(tiny_copy).time_s));
}

TEST_CASE("a device like the H100 inherits its strided rate scaled by its SM count") {
  const Catalog& cat = Catalog::builtin();
  DeviceSpec h100 = cat.device("h100"), a100 = cat.device("a100"), h200 = cat.device("h200");
  CHECK(a100.strided_elements_per_s == test::approx(h100.strided_elements_per_s * 108.0 / 132.0));
  CHECK(h200.strided_elements_per_s == test::approx(h100.strided_elements_per_s));  // same SMs
}

TEST_CASE("NCHW pooling is bound by its input elements at the strided kernel's rate") {
  DeviceSpec d = Catalog::builtin().device("h100");
  REQUIRE(d.strided_elements_per_s > 0);
  KernelTimer timer(d);
  // ResNet-50's max pool at batch 64: 64 x 64 x 112 x 112 fp16 in, a quarter of that out.
  double in = 64.0 * 64 * 112 * 112;
  Kernel pool;
  pool.kind = KernelKind::pool;
  pool.flops = in;
  pool.bytes = (in + in / 4) * 2;
  pool.elements = in;
  CHECK(timer.time(pool).time_s == test::approx(in / d.strided_elements_per_s));
  CHECK(timer.time(pool).time_s > 2 * timer.memory_time_s(Kernel{.bytes = pool.bytes, .kind = KernelKind::copy}));
  // A pool kernel without its element count (an older workload) streams as before.
  pool.elements = 0;
  CHECK(timer.time(pool).time_s < in / d.strided_elements_per_s / 2);
}

TEST_CASE("NCHW pooling whose window is known: a thread per output, each walking its window") {
  DeviceSpec d = Catalog::builtin().device("h100");
  REQUIRE(d.pool_window_elements_per_s > 0);
  KernelTimer timer(d);
  // ResNet-50's 3x3 stride-2 max pool at batch 64 (the kernel the rate was read off, 206 us in the
  // traces), and GoogLeNet's 3x3 stride-1 pool over as many inputs: as many outputs as inputs, each
  // walking the same window, so about four times the time, where bounding it by its inputs gave both
  // the same time.
  const double in = 64.0 * 64 * 112 * 112;
  Kernel s2;
  s2.kind = KernelKind::pool;
  s2.bytes = (in + in / 4) * 2;
  s2.elements = in;
  s2.outputs = in / 4;
  s2.window = 9;
  const double t_s2 = timer.time(s2).time_s;
  CHECK(t_s2 == test::approx(s2.outputs / d.strided_elements_per_s + s2.outputs * 8 / d.pool_window_elements_per_s));
  CHECK(t_s2 == doctest::Approx(206e-6).epsilon(0.03));
  Kernel s1 = s2;
  s1.bytes = 2 * in * 2;
  s1.outputs = in;
  CHECK(timer.time(s1).time_s == test::approx(4 * t_s2));
  // A window of one element (an adaptive pool to the input's own size) costs what a strided copy does.
  Kernel one = s1;
  one.window = 1;
  CHECK(timer.time(one).time_s == test::approx(in / d.strided_elements_per_s));
  // Built models carry their pools' windows: GoogLeNet's stem and stage pools (3x3 and one 2x2, stride
  // 2) and its nine inception blocks' 3x3 stride-1 branch pools.
  WorkloadConfig c;
  c.batch = 64;
  c.image = 224;
  Workload w = build_workload(*find_builtin_architecture("googlenet"), c,
                              make_backend(d, Catalog::builtin().framework("pytorch-eager")));
  std::size_t stride1 = 0, pools = 0;
  for (const Kernel& k : w.kernels)
    if (k.kind == KernelKind::pool) {
      ++pools;
      CHECK((k.window == 9 || k.window == 4));
      CHECK(k.outputs > 0);
      CHECK(k.outputs <= k.elements);
      CHECK(k.m == 0);  // no GEMM view: a pool is not a matrix product
      stride1 += k.outputs == k.elements;
    }
  CHECK(stride1 == 9);
  CHECK(pools == 13);
}

TEST_CASE("batch norm: the largest of its element, plane, per-plane and shortest-kernel bounds") {
  DeviceSpec d = Catalog::builtin().device("h100");
  const auto& b = d.batch_norm;
  REQUIRE(b.elements_per_s > 0);
  REQUIRE(b.planes_per_s > 0);
  REQUIRE(b.plane_elements_per_s > 0);
  REQUIRE(b.min_s > 0);
  KernelTimer timer(d);
  auto bn = [](double n, double c, double hw, double elem) {
    Kernel k;
    k.kind = KernelKind::batch_norm;
    k.elements = n * c * hw;
    k.planes = n * c;
    k.flops = 2 * k.elements;
    k.bytes = 2 * k.elements * elem;
    return k;
  };
  // Large planes, many of them: bound by elements (fp16 ResNet-50 layer 1 at batch 64).
  Kernel big = bn(64, 256, 56 * 56, 2);
  CHECK(timer.time(big).time_s == test::approx(big.elements / b.elements_per_s));
  // 7x7 planes: bound by the planes, whatever the bytes (the last stage at batch 64).
  Kernel small = bn(64, 2048, 49, 2);
  CHECK(timer.time(small).time_s == test::approx(small.planes / b.planes_per_s));
  CHECK(timer.time(bn(64, 2048, 49, 4)).time_s == test::approx(timer.time(small).time_s));
  // Few large planes (the stem at batch 1): one plane's elements, walked by one block.
  Kernel stem = bn(1, 64, 112 * 112, 4);
  CHECK(timer.time(stem).time_s == test::approx(112.0 * 112 / b.plane_elements_per_s));
  // Tiny: the shortest batch norm kernel measured, above the empty-kernel floor.
  Kernel tiny = bn(1, 64, 4, 4);
  CHECK(b.min_s > d.kernel_min_s);
  CHECK(timer.time(tiny).time_s == test::approx(b.min_s));
  // Without the bounds (a CPU, an uncalibrated device) it streams its bytes.
  DeviceSpec plain = d;
  plain.batch_norm = {};
  Kernel stream{.bytes = big.bytes, .kind = KernelKind::copy};
  CHECK(KernelTimer(plain).time(big).time_s == test::approx(timer.memory_time_s(stream)));
}

TEST_CASE("a device like the H100 inherits batch norm's bounds, the rates over all SMs scaled by their count") {
  const Catalog& cat = Catalog::builtin();
  DeviceSpec h100 = cat.device("h100"), a100 = cat.device("a100");
  CHECK(a100.batch_norm.elements_per_s == test::approx(h100.batch_norm.elements_per_s * 108.0 / 132.0));
  CHECK(a100.batch_norm.planes_per_s == test::approx(h100.batch_norm.planes_per_s * 108.0 / 132.0));
  CHECK(a100.batch_norm.plane_elements_per_s == test::approx(h100.batch_norm.plane_elements_per_s));
  CHECK(a100.batch_norm.min_s == test::approx(h100.batch_norm.min_s));
  // A calibrated device has its own fit (of its sweep), not the H100's scaled.
  DeviceSpec cal = cat.device("h200-calibrated");
  CHECK(cal.batch_norm.elements_per_s > 0);
  CHECK(cal.batch_norm.min_s > 0);
  CHECK(cal.kind_time_factor[static_cast<int>(KernelKind::batch_norm)] == 1.0);
}

TEST_CASE("strided, pool and batch-norm kernels say when their elements, not DRAM, bind them") {
  DeviceSpec d = Catalog::builtin().device("h100");
  KernelTimer timer(d);
  Kernel strided{.bytes = 4 * 3.0e6, .elements = 3.0e6, .kind = KernelKind::strided};
  CHECK(timer.time(strided).bound == Bound::elements);
  CHECK(bound_name(timer.time(strided).bound) == "elements");
  // Its utilization is of the bandwidth: how little of it the kernel uses.
  CHECK(timer.time(strided).utilization < 0.5);
  Kernel copy{.bytes = 4 * 3.0e6, .kind = KernelKind::copy};
  CHECK(timer.time(copy).bound == Bound::memory);
  // A batch norm at its own shortest time is floor-bound, at that time.
  Kernel tiny{.bytes = 512, .elements = 64, .planes = 16, .kind = KernelKind::batch_norm};
  CHECK(timer.time(tiny).bound == Bound::floor);
  CHECK(timer.time(tiny).time_s == test::approx(d.batch_norm.min_s));
  // A trace's measured time is kept; the model still says what bound it.
  strided.measured_s = 1e-3;
  CHECK(timer.time(strided).time_s == 1e-3);
  CHECK(timer.time(strided).bound == Bound::elements);
}

TEST_CASE("below the smallest streaming kernel measured, a streaming kernel takes its time") {
  DeviceSpec d = test::toy_gpu();
  // Measured: 3 KB in 1.5 us (efficiency 0.002 of 1 TB/s); 3 MB at 0.5.
  d.memory_efficiency = Curve({{3e3, 0.002}, {3e6, 0.5}});
  KernelTimer timer(d);
  Kernel small{.bytes = 3e3, .kind = KernelKind::elementwise};
  CHECK(timer.time(small).time_s == test::approx(1.5e-6));
  // A quarter of the bytes: DRAM latency, not bandwidth, so the same time (not a quarter of it).
  small.bytes = 750;
  CHECK(timer.time(small).time_s == test::approx(1.5e-6));
  CHECK(timer.time(small).bound == Bound::memory);
  // Matrix kernels keep their compute-or-bytes roofline; a kernel of no bytes stays at the floor.
  Kernel none{.kind = KernelKind::elementwise};
  CHECK(timer.time(none).time_s == test::approx(d.kernel_min_s));
  // Not on a CPU: there the curve holds (down to the shortest kernel).
  DeviceSpec cpu = d;
  cpu.kind = DeviceKind::cpu;
  CHECK(KernelTimer(cpu).time(small).time_s == test::approx(d.kernel_min_s));
  // Above it, the curve.
  Kernel big{.bytes = 3e6, .kind = KernelKind::elementwise};
  CHECK(timer.time(big).time_s == test::approx(3e6 / (1e12 * 0.5)));
}

TEST_CASE("a CPU's slow math functions bound their elementwise kernels by elements, not bytes") {
  // Debian's torch 1.13 on one EPYC core: add 0.10 ns per element (DRAM), tanh 2.1 ns, erf 3.2 ns.
  DeviceSpec d = test::toy_gpu();
  d.kind = DeviceKind::cpu;
  d.function_elements_per_s[static_cast<int>(ElemFunc::tanh)] = 0.5e9;
  Workload w;
  Backend be;
  be.gpu = false;
  Builder b(w, be, DType::fp32);
  b.elementwise("aten::tanh", 1e6);
  b.elementwise("aten::add", 1e6, 2);
  b.elementwise("aten::exp", 1e6);  // no rate in this profile: memory-bound as before
  REQUIRE(w.kernels.size() == 3);
  CHECK(w.kernels[0].func == ElemFunc::tanh);
  CHECK(w.kernels[0].elements == 1e6);
  CHECK(w.kernels[1].func == ElemFunc::none);
  CHECK(w.kernels[2].func == ElemFunc::exp);
  KernelTimer timer(d);
  KernelTime t = timer.time(w.kernels[0]);
  CHECK(t.time_s == test::approx(2e-3));
  CHECK(t.bound == Bound::elements);
  CHECK(timer.time(w.kernels[1]).time_s == test::approx(w.kernels[1].bytes / d.memory_bandwidth_bytes_per_s));
  CHECK(timer.time(w.kernels[2]).bound == Bound::memory);
  // The rate is a profile field: read back as written, and a negative one is an input error.
  Json j = device_to_json(d, DeviceSources{});
  CHECK(j["efficiency"]["function_elements_per_s"]["tanh"].get<double>() == 0.5e9);
  CHECK(!j["efficiency"]["function_elements_per_s"].contains("exp"));
  CHECK(elem_func_of("aten::tanh_") == ElemFunc::tanh);
  CHECK(elem_func_of("aten::gelu") == ElemFunc::gelu);
  CHECK(elem_func_of("aten::mul") == ElemFunc::none);
}

TEST_CASE("cuDNN's Winograd: 3x3 stride-1 convolutions on the CUDA cores take fewer FLOPs, which totals still count") {
  DeviceSpec d = test::toy_gpu();
  Backend be;
  be.gpu = true;
  be.tf32_conv = false;  // fp32 on the CUDA cores, as before Ampere
  be.winograd_conv_speedup = 1.75;
  Workload w;
  Builder b(w, be, DType::fp32);
  b.conv2d(8, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, false);  // Winograd
  b.conv2d(8, 64, 56, 56, 64, 3, 3, 2, 1, 1, 1, false);  // strided: direct
  b.conv2d(8, 64, 56, 56, 64, 1, 1, 1, 0, 0, 1, false);  // 1x1: direct
  b.conv2d(8, 3, 224, 224, 64, 3, 3, 1, 1, 1, 1, false);  // an RGB stem: direct
  b.conv2d(8, 64, 56, 56, 64, 3, 3, 1, 1, 1, 2, false);  // grouped: direct
  REQUIRE(w.kernels.size() == 5);
  CHECK(w.name(w.kernels[0].name) == "conv_winograd");
  CHECK(w.kernels[0].flops_divisor == 1.75);
  for (std::size_t i = 1; i < w.kernels.size(); ++i) {
    CHECK(w.name(w.kernels[i].name) == "conv_implicit_gemm");
    CHECK(w.kernels[i].flops_divisor == 1.0);
  }
  // Its compute time is that of the direct kernel with 1.75x fewer FLOPs; the workload's FLOPs are the model's.
  Kernel direct = w.kernels[0];
  direct.flops_divisor = 1;
  Kernel fewer = direct;
  fewer.flops /= 1.75;
  KernelTimer timer(d);
  CHECK(timer.compute_time_s(w.kernels[0]) == test::approx(timer.compute_time_s(fewer)));
  CHECK(timer.compute_time_s(w.kernels[0]) < timer.compute_time_s(direct));
  CHECK(w.total_flops() == test::approx(2.0 * 8 * 56 * 56 * 64 * 64 * 9 + 2.0 * 8 * 28 * 28 * 64 * 64 * 9 +
                                        2.0 * 8 * 56 * 56 * 64 * 64 + 2.0 * 8 * 224 * 224 * 64 * 3 * 9 +
                                        2.0 * 8 * 56 * 56 * 64 * 32 * 9));
  // TF32 tensor cores (Ampere on): no Winograd.
  Workload w2;
  be.tf32_conv = true;
  Builder b2(w2, be, DType::fp32);
  b2.conv2d(8, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1, false);
  for (const Kernel& k : w2.kernels) CHECK(k.flops_divisor == 1.0);
}

TEST_CASE("cuDNN 8's generic transpose around grouped TF32 convolutions: only on the GPUs, dtypes and sizes the stack names") {
  const Catalog& c = Catalog::builtin();
  const FrameworkSpec f = c.framework("pytorch-eager@1.12");
  REQUIRE(f.grouped_tf32_conv_transpose.has_value());
  const double min_rows = f.grouped_tf32_conv_transpose->min_rows;
  const double share = f.grouped_tf32_conv_transpose->bandwidth_fraction;
  // SqueezeBERT's query projection: a grouped 1x1 convolution (groups 4) over 128 tokens.
  auto kernels_of = [&](const std::string& device, const FrameworkSpec& fw, DType dt, double batch, double groups) {
    Workload w;
    Builder b(w, make_backend(c.device(device), fw), dt);
    b.conv2d(batch, 768, 1, 128, 768, 1, 1, 1, 0, 0, groups, true);
    std::vector<std::string> names;
    for (const Kernel& k : w.kernels) names.push_back(std::string(w.name(k.name)));
    return std::make_pair(names, w);
  };
  const std::string transpose = "cudnn::ops::genericTranspose_kernel";
  auto count = [&](const std::vector<std::string>& names) { return std::count(names.begin(), names.end(), transpose); };
  const double big = std::ceil(min_rows / 128) + 4, small = std::floor(min_rows / 128) - 1;
  {
    const auto built = kernels_of("a6000", f, DType::fp32, big, 4);  // GA102, compute capability 8.6
    const std::vector<std::string>& names = built.first;
    const Workload& w = built.second;
    CHECK(count(names) == 2);
    REQUIRE(names.size() == 4);  // transpose in, convolution, transpose out, bias
    CHECK(names[1] == "conv_implicit_gemm");
    const Kernel& in = w.kernels[0];
    CHECK(in.bytes == test::approx(2 * big * 768 * 128 * 4.0));
    CHECK(in.bandwidth_fraction == share);
    // Memory-bound at that share of the bandwidth: 1 / share times what the same bytes take otherwise.
    const DeviceSpec d = c.device("a6000");
    KernelTimer timer(d);
    Kernel plain = in;
    plain.bandwidth_fraction = 1;
    CHECK(timer.memory_time_s(in) == test::approx(timer.memory_time_s(plain) / share));
  }
  CHECK(count(kernels_of("a6000", f, DType::fp32, small, 4).first) == 0);   // below min_rows
  CHECK(count(kernels_of("3090", f, DType::fp32, big, 4).first) == 2);      // the other GA102
  CHECK(count(kernels_of("a100", f, DType::fp32, big, 4).first) == 0);      // 8.0: not named
  CHECK(count(kernels_of("rtx4090", f, DType::fp32, big, 4).first) == 0);   // 8.9: not named
  CHECK(count(kernels_of("a6000", f, DType::fp16, big, 4).first) == 0);     // half: not TF32
  CHECK(count(kernels_of("a6000", f, DType::fp32, big, 1).first) == 0);     // ungrouped
  CHECK(count(kernels_of("a6000", f, DType::fp32, big, 768).first) == 0);   // depthwise
  CHECK(count(kernels_of("a6000", c.framework("torchscript@1.12"), DType::fp32, big, 4).first) == 2);
  CHECK(count(kernels_of("a6000", c.framework("pytorch-eager"), DType::fp32, big, 4).first) == 0);  // cuDNN 9
  CHECK(count(kernels_of("a6000", c.framework("onnxruntime@1.12"), DType::fp32, big, 4).first) == 0);
}

TEST_CASE("on every built-in GPU a streaming kernel that moves more bytes never takes less time") {
  // The memory curve is linear in log bytes between its points, which on its steep small-size end
  // made a kernel twice as large up to 16% faster (ResNet-50's ReLUs at batch 1 and 2 on the H100).
  const Catalog& c = Catalog::builtin();
  for (const auto& entry : c.devices()) {
    const DeviceSpec d = c.device(entry.name);
    if (d.kind != DeviceKind::gpu) continue;
    CAPTURE(d.name);
    KernelTimer timer(d);
    for (KernelKind kind : {KernelKind::elementwise, KernelKind::norm, KernelKind::copy}) {
      double last = 0;
      int drops = 0;
      for (double bytes = 256; bytes < 1e10; bytes *= 1.07) {
        Kernel k;
        k.kind = kind;
        k.bytes = bytes;
        const double t = timer.time(k).time_s;
        drops += t < last * (1 - 1e-12) ? 1 : 0;
        last = std::max(last, t);
      }
      CHECK(drops == 0);
    }
  }
}
