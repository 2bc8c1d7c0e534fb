#include "model/engine.hpp"

#include <algorithm>

#include "model/error.hpp"

namespace fwtax {

std::string_view measure_name(Measure m) { return m == Measure::sync ? "sync" : "pipelined"; }

std::string_view regime_name(Regime r) {
  switch (r) {
    case Regime::framework: return "framework";
    case Regime::memory: return "memory";
    case Regime::compute: return "compute";
  }
  return "framework";
}

double guard_host_s(const Workload& w, const FrameworkSpec& f) {
  return f.guard_host_s * f.guards_per_module_call * w.module_calls;
}

namespace {

// State carried across calls (pipelined measure issues calls back to back).
struct Clock {
  double host = 0;  // host time
  double gpu = 0;   // end of the last kernel on the stream
};

struct CallStats {
  double host_busy = 0;
  double host_wait = 0;     // time the host waited at the call's sync points
  std::size_t waits = 0;    // sync points passed
};

// Host cost of one op: its class cost (which includes the first kernel launch) plus one launch for
// every further kernel. An op imported from a trace carries its own measured host time.
struct OpCost {
  double total = 0;       // host time of the whole op
  double first = 0;       // host time until its first kernel is enqueued
  double per_extra = 0;   // host time between further kernel enqueues
};

// Whether a convolution op runs a half-precision tensor-core kernel (FrameworkSpec::half_conv_host_s).
// Read off its kernels when costed, not flagged on the op when built: builders, trace import and the
// passes would each have to keep such a flag, and the scan is of a convolution's few kernels, only
// for the stacks that set the cost.
bool half_tensor_core_conv(const Op& op, const std::vector<Kernel>& kernels) {
  if (op.cls != OpClass::conv) return false;
  for (std::uint32_t j = 0; j < op.kernel_count; ++j) {
    const Kernel& k = kernels[op.first_kernel + j];
    if (k.kind == KernelKind::conv && (k.math == Math::fp16_tensor || k.math == Math::bf16_tensor)) return true;
  }
  return false;
}

OpCost op_cost(const Op& op, const std::vector<Kernel>& kernels, const FrameworkSpec& f, const SimOptions& o,
               double extra_launch) {
  OpCost c;
  if (f.mode == ExecMode::engine) {  // the engine's enqueue launches every kernel; no op is dispatched
    c.first = c.per_extra = extra_launch;
    c.total = op.kernel_count * extra_launch;
    return c;
  }
  if (op.host_s >= 0) {
    c.total = op.host_s * o.host_factor;
    double n = std::max<std::uint32_t>(op.kernel_count, 1);
    c.first = c.total / n;
    c.per_extra = c.first;
    return c;
  }
  // The class cost's Python part (all of it for a module call) runs at the host's Python speed.
  const double cls = f.op_host_s[static_cast<int>(op.cls)];
  const double python = is_module_class(op.cls) ? cls : f.op_python_s[static_cast<int>(op.cls)];
  c.first = (cls - python + (op.fused ? f.fused_op_host_s : 0) +
             (f.half_conv_host_s > 0 && half_tensor_core_conv(op, kernels) ? f.half_conv_host_s : 0)) *
                o.host_factor +
            python * o.host_factor * o.python_factor;
  c.per_extra = extra_launch;
  c.total = c.first + (op.kernel_count > 1 ? (op.kernel_count - 1) * extra_launch : 0);
  return c;
}

double extra_launch_cost(const DeviceSpec& d, const FrameworkSpec& f, const SimOptions& o) {
  if (d.kind == DeviceKind::cpu) return f.extra_kernel_host_s * o.host_factor;
  return f.extra_kernel_host_s > 0 ? f.extra_kernel_host_s * o.host_factor : d.launch_host_s * o.launch_factor;
}

// One eager or scripted call on a GPU: ops dispatched one by one (an engine's enqueue: kernels launched
// one by one). The clocks live in locals so the
// loop keeps them in registers; the timeline variant is a separate instantiation.
template <bool kTimeline>
void run_eager_gpu(const Workload& w, const std::vector<KernelTime>& kt, const DeviceSpec& d,
                   const FrameworkSpec& f, const SimOptions& o, Clock& c, CallStats& s, SimResult* tl) {
  double host = c.host, gpu = c.gpu, busy = s.host_busy;
  double call = (f.call_host_s + guard_host_s(w, f)) * o.host_factor * o.python_factor;
  if constexpr (kTimeline) tl->host_spans.push_back({host, call, UINT32_MAX, 0});
  host += call;
  busy += call;
  const double extra = extra_launch_cost(d, f, o);
  const double latency = d.launch_latency_s, gap = d.stream_kernel_gap_s, sync = d.sync_s * o.launch_factor;
  const std::uint32_t n_ops = static_cast<std::uint32_t>(w.ops.size());
  double replay_ready = 0;  // when the GPU may start the kernels of the graph being replayed
  for (std::uint32_t i = 0; i < n_ops; ++i) {
    const Op& op = w.ops[i];
    if (op.graphed) {
      // A run of graphed ops is one graph replay: its first op launches it, its kernels run back to
      // back behind the stream's earlier work, and the host goes on at once.
      if (i == 0 || !w.ops[i - 1].graphed) {
        const double launch = std::max(op.host_s, 0.0) * o.host_factor + d.graph_launch_host_s * o.launch_factor;
        if constexpr (kTimeline) tl->host_spans.push_back({host, launch, i, 0});
        host += launch;
        busy += launch;
        replay_ready = host + d.graph_launch_latency_s;
      }
      for (std::uint32_t j = 0; j < op.kernel_count; ++j) {
        std::uint32_t ki = op.first_kernel + j;
        double start = std::max(replay_ready, gpu + d.graph_kernel_gap_s);
        gpu = start + kt[ki].time_s;
        if constexpr (kTimeline) tl->gpu_spans.push_back({start, kt[ki].time_s, i, ki});
      }
      continue;
    }
    OpCost cost = op_cost(op, w.kernels, f, o, extra);
    double t0 = host;
    double enqueue = t0 + cost.first;
    for (std::uint32_t j = 0; j < op.kernel_count; ++j) {
      std::uint32_t ki = op.first_kernel + j;
      // A queued kernel starts one stream gap after the previous one; an idle GPU starts it one launch
      // latency after the enqueue.
      double start = std::max(enqueue + latency, gpu + gap);
      gpu = start + kt[ki].time_s;
      if constexpr (kTimeline) tl->gpu_spans.push_back({start, kt[ki].time_s, i, ki});
      enqueue += cost.per_extra;
    }
    host = t0 + cost.total;
    busy += cost.total;
    if constexpr (kTimeline) tl->host_spans.push_back({t0, cost.total, i, 0});
    if (op.sync) {
      double wait_end = std::max(host, gpu) + sync;
      if constexpr (kTimeline) tl->host_spans.push_back({host, wait_end - host, UINT32_MAX - 1, 0});
      s.host_wait += wait_end - host;
      ++s.waits;
      host = wait_end;
    }
  }
  c.host = host;
  c.gpu = gpu;
  s.host_busy = busy;
}

// One call replayed from a CUDA graph: one host launch, kernels back to back. A mode that replays
// graphs from its own runtime (cudagraph trees) pays its bookkeeping per replay as well.
void run_graph(const Workload& w, const std::vector<KernelTime>& kt, const DeviceSpec& d,
               const FrameworkSpec& f, const SimOptions& o, Clock& c, CallStats& s, SimResult* tl) {
  double host = (f.call_host_s + f.graph_replay_host_s) * o.host_factor +
                guard_host_s(w, f) * o.host_factor * o.python_factor + d.graph_launch_host_s * o.launch_factor;
  double t0 = c.host;
  c.host += host;
  s.host_busy += host;
  if (tl) tl->host_spans.push_back({t0, host, UINT32_MAX, 0});
  double t = std::max(c.host + d.graph_launch_latency_s, c.gpu);
  for (std::uint32_t ki = 0; ki < kt.size(); ++ki) {
    if (tl) tl->gpu_spans.push_back({t, kt[ki].time_s, UINT32_MAX, ki});
    t += kt[ki].time_s + d.graph_kernel_gap_s;
  }
  c.gpu = t;
  // Map kernels back to their ops for the timeline.
  if (tl) {
    for (std::uint32_t i = 0; i < w.ops.size(); ++i)
      for (std::uint32_t j = 0; j < w.ops[i].kernel_count; ++j) {
        std::uint32_t ki = w.ops[i].first_kernel + j;
        std::size_t at = tl->gpu_spans.size() - kt.size() + ki;
        tl->gpu_spans[at].op = i;
      }
  }
}

// One call on a CPU device: the host thread dispatches and then runs each kernel itself.
void run_cpu(const Workload& w, const std::vector<KernelTime>& kt, const FrameworkSpec& f,
             const SimOptions& o, Clock& c, CallStats& s, SimResult* tl) {
  double call = (f.call_host_s + guard_host_s(w, f)) * o.host_factor * o.python_factor;
  c.host += call;
  s.host_busy += call;
  for (std::uint32_t i = 0; i < w.ops.size(); ++i) {
    const Op& op = w.ops[i];
    double cost = op_cost(op, w.kernels, f, o, f.extra_kernel_host_s * o.host_factor).total;
    if (tl) tl->host_spans.push_back({c.host, cost, i, 0});
    c.host += cost;
    s.host_busy += cost;
    for (std::uint32_t j = 0; j < op.kernel_count; ++j) {
      std::uint32_t ki = op.first_kernel + j;
      if (tl) tl->gpu_spans.push_back({c.host, kt[ki].time_s, i, ki});
      c.host += kt[ki].time_s;
    }
  }
  c.gpu = c.host;
}

// The stack's own rate for a convolution or GEMM kernel by shape (FrameworkSpec::kernel_flops_per_s),
// where its library is not the one the device was calibrated on; null where the device's holds.
const ShapeEfficiency* stack_rates(const FrameworkSpec& f, const Kernel& k) {
  if (k.measured_s >= 0 || k.flops <= 0 || k.m <= 0 || k.n <= 0 || k.k <= 0) return nullptr;
  if ((k.kind == KernelKind::conv || k.kind == KernelKind::depthwise) && !f.conv_flops_per_s.empty())
    return &f.conv_flops_per_s;
  if (k.kind == KernelKind::gemm && !f.gemm_flops_per_s.empty()) return &f.gemm_flops_per_s;
  return nullptr;
}

}  // namespace

void check_runs_on(const FrameworkSpec& f, const DeviceSpec& d) {
  if (!needs_gpu(f) || d.kind != DeviceKind::cpu) return;
  const std::string what = f.mode == ExecMode::graph ? "CUDA graph replay" : "a TensorRT engine (mode engine)";
  throw InputError("--framework", f.name, what + " needs a GPU device; '" + d.name + "' is a CPU");
}

std::vector<KernelTime> time_kernels(const Workload& w, const DeviceSpec& d, const FrameworkSpec& f) {
  KernelTimer timer(d);
  std::vector<KernelTime> kt(w.kernels.size());
  // The kernels a fusing pass generated, where the mode's generated code has its own element rate.
  std::vector<bool> generated;
  const double clamp_rate = f.generated_clamp_elements_per_s > 0 ? f.generated_clamp_elements_per_s
                                                                  : f.generated_elements_per_s;
  if (f.generated_elements_per_s > 0 || clamp_rate > 0) {
    generated.assign(w.kernels.size(), false);
    for (const Op& op : w.ops)
      if (op.fused)
        for (std::uint32_t j = 0; j < op.kernel_count; ++j) generated[op.first_kernel + j] = true;
  }
  for (std::size_t i = 0; i < w.kernels.size(); ++i) {
    kt[i] = timer.time(w.kernels[i]);
    if (const ShapeEfficiency* rates = stack_rates(f, w.kernels[i])) {
      const Kernel& k = w.kernels[i];
      // The rate was measured on tensors that stay in cache from call to call; in a model a kernel
      // whose tensors stream from DRAM takes the device's memory time when that is longer.
      const double rate = rates->at(k.m, k.n, k.k), peak = d.peak_flops_per_s[static_cast<int>(k.math)];
      const double compute = k.flops / k.flops_divisor / rate, memory = timer.memory_time_s(k);
      kt[i] = compute >= memory ? KernelTime{compute, peak > 0 ? rate / peak : 0, Bound::compute}
                                : KernelTime{memory, k.bytes / (memory * d.memory_bandwidth_bytes_per_s), Bound::memory};
    }
    if (!generated.empty() && generated[i]) {
      const double rate = w.kernels[i].clamp ? clamp_rate : f.generated_elements_per_s;
      const double t = rate > 0 ? w.kernels[i].elements / rate : 0;
      if (t > kt[i].time_s) kt[i] = {t, 0, Bound::elements};
    }
  }
  return kt;
}

SimResult simulate(const Workload& w, const DeviceSpec& d, const FrameworkSpec& f, const SimOptions& o) {
  check_runs_on(f, d);
  SimResult r;
  r.guards = f.guards_per_module_call * w.module_calls;
  r.guard_s = guard_host_s(w, f) * o.host_factor * o.python_factor;
  std::vector<KernelTime> kt = time_kernels(w, d, f);
  for (std::size_t i = 0; i < w.kernels.size(); ++i) {
    kt[i].time_s *= kt[i].bound == Bound::compute ? o.compute_kernel_factor : o.memory_kernel_factor;
    r.gpu_busy_s += kt[i].time_s;
    switch (kt[i].bound) {
      case Bound::compute: r.gpu_compute_s += kt[i].time_s; break;
      case Bound::memory: r.gpu_memory_s += kt[i].time_s; break;
      case Bound::floor: r.gpu_floor_s += kt[i].time_s; break;
      case Bound::elements: r.gpu_elements_s += kt[i].time_s; break;
    }
    r.flops += w.kernels[i].flops;
    r.bytes += w.kernels[i].bytes;
  }
  r.kernels = w.kernels.size();
  for (const Op& op : w.ops) r.ops += is_module_class(op.cls) ? 0 : 1;

  // torch.compile's reduce-overhead replays graphs on a GPU only; on a CPU it runs its wrapper.
  const bool replay = f.mode == ExecMode::graph || f.cuda_graphs;
  auto one_call = [&](Clock& c, CallStats& s, SimResult* tl) {
    if (d.kind == DeviceKind::cpu)
      run_cpu(w, kt, f, o, c, s, tl);
    else if (replay)
      run_graph(w, kt, d, f, o, c, s, tl);
    else if (tl)
      run_eager_gpu<true>(w, kt, d, f, o, c, s, tl);
    else
      run_eager_gpu<false>(w, kt, d, f, o, c, s, nullptr);
  };

  bool gpu = d.kind == DeviceKind::gpu;
  double sync = gpu ? d.sync_s * o.launch_factor : 0;
  if (o.measure == Measure::sync || (f.sync_each_call && gpu)) {
    Clock c;
    CallStats s;
    one_call(c, s, o.timeline ? &r : nullptr);
    r.latency_s = std::max(c.host, c.gpu) + sync;
    r.host_busy_s = s.host_busy;
    r.host_wait_s = s.host_wait;
    r.host_waits = s.waits;
    if (o.timeline && gpu) r.host_spans.push_back({c.host, r.latency_s - c.host, UINT32_MAX - 1, 0});
  } else {
    // Calls issued back to back, synchronized only at the ends: the steady-state period.
    constexpr int kCalls = 4;
    Clock c;
    double end[kCalls];
    CallStats s;
    for (int i = 0; i < kCalls; ++i) {
      CallStats si;
      one_call(c, si, nullptr);
      end[i] = std::max(c.host, c.gpu);
      s = si;
    }
    r.latency_s = (end[kCalls - 1] - end[1]) / (kCalls - 2);
    r.host_busy_s = s.host_busy;
    r.host_wait_s = s.host_wait;
    r.host_waits = s.waits;
  }
  r.framework_tax_s = std::max(0.0, r.latency_s - r.gpu_busy_s);
  r.bound = regime_of(r);
  return r;
}

Regime regime_of(const SimResult& r) {
  if (r.host_busy_s >= r.gpu_busy_s) return Regime::framework;
  return r.gpu_compute_s >= r.gpu_memory_s + r.gpu_floor_s + r.gpu_elements_s ? Regime::compute : Regime::memory;
}

}  // namespace fwtax
