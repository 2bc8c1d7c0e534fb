#pragma once
// The event simulation of one host thread and one GPU stream. The host pays each op's cost and
// enqueues its kernels; a kernel starts at max(enqueue + launch latency, end of the previous
// kernel); a sync makes the host wait for the GPU; a CUDA graph replays every kernel from one host
// launch. On a CPU device the host runs the kernels itself.
#include <cstdint>
#include <string_view>
#include <vector>

#include "model/device.hpp"
#include "model/framework.hpp"
#include "model/kernel_time.hpp"
#include "model/workload.hpp"

namespace fwtax {

enum class Measure { sync, pipelined };
std::string_view measure_name(Measure m);

// What limits the latency of a configuration.
enum class Regime : std::uint8_t { framework, memory, compute };
std::string_view regime_name(Regime r);

struct SimOptions {
  Measure measure = Measure::sync;
  double host_factor = 1.0;    // multiplies framework host costs (host speed ratio and --host-x)
  double python_factor = 1.0;  // multiplies Python module-call costs (module classes, the call) on top
  double launch_factor = 1.0;  // multiplies the device's host-side launch and sync costs (--host-x)
  // The ends of a latency range: multiply the time of each kernel bound by its arithmetic
  // (Bound::compute), and of each bound by memory, its elements or the shortest kernel.
  double compute_kernel_factor = 1.0, memory_kernel_factor = 1.0;
  bool timeline = false;       // record the spans of one call (sync measure only)
};

struct Span {
  double start_s = 0;
  double dur_s = 0;
  std::uint32_t op = 0;      // index into Workload::ops
  std::uint32_t kernel = 0;  // index into Workload::kernels (GPU spans)
};

struct SimResult {
  double latency_s = 0;        // one call (sync) or the steady-state period per call (pipelined)
  double host_busy_s = 0;      // host time spent dispatching (not waiting) per call
  double gpu_busy_s = 0;       // device time spent in kernels per call
  double framework_tax_s = 0;  // device idle time within the call: latency - gpu busy
  // The host's waits for the GPU inside one call (Op::sync: .item(), ONNX Runtime 1.12's FusedConv):
  // how many, and how long the host waited there (in the sync measure, or the last pipelined call).
  // Across a wait host and GPU time add up rather than overlap.
  std::size_t host_waits = 0;
  double host_wait_s = 0;
  // A compiled call's guards (torch.compile): how many are evaluated per call, and their host time
  // (included in host_busy_s); 0 for modes without guards.
  double guards = 0;
  double guard_s = 0;
  Regime bound = Regime::framework;
  // Device time by binding limit (Bound); the regime counts element-bound time with memory's.
  double gpu_compute_s = 0, gpu_memory_s = 0, gpu_floor_s = 0, gpu_elements_s = 0;
  std::size_t kernels = 0;  // kernels per call
  std::size_t ops = 0;      // framework ops per call (Python module calls not counted)
  double flops = 0, bytes = 0;
  std::vector<Span> host_spans, gpu_spans;  // with SimOptions::timeline
};

// Throws InputError when the framework's mode cannot run on the device (CUDA graph replay or a
// TensorRT engine on a CPU).
void check_runs_on(const FrameworkSpec& framework, const DeviceSpec& device);

// Each kernel's time on the device under the framework (its own kernel rates and generated code's
// element rates over the device's model), before SimOptions' kernel factors: what simulate() runs and
// breakdowns label by bound.
std::vector<KernelTime> time_kernels(const Workload& w, const DeviceSpec& device, const FrameworkSpec& framework);

// Simulates one configuration. Throws InputError when the mode cannot run on the device
// (check_runs_on).
// The regime a call's times put it in: framework-bound where the host is busy at least as long as the
// GPU, else compute- or memory-bound by where most GPU time went (floor- and element-bound time count
// with memory's).
Regime regime_of(const SimResult& r);
// A compiled frame's guard evaluation at the start of each call, on the reference host: as many guards
// as the forward makes Python module calls (Workload::module_calls) times the mode's guards per call,
// each guard_host_s (0 for modes without guards).
double guard_host_s(const Workload& w, const FrameworkSpec& f);

SimResult simulate(const Workload& w, const DeviceSpec& device, const FrameworkSpec& framework,
                   const SimOptions& options);

}  // namespace fwtax
