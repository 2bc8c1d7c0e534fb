#include "simulate/sweep.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <tuple>

#include "model/arch/transformer_family.hpp"
#include "model/error.hpp"
#include "model/kernel_time.hpp"
#include "model/passes.hpp"
#include "simulate/report.hpp"
#include "simulate/trace_file.hpp"

namespace fwtax {

void warn_once(SweepExtras* extras, std::string w) {
  if (extras && !w.empty() && std::find(extras->warnings.begin(), extras->warnings.end(), w) == extras->warnings.end())
    extras->warnings.push_back(std::move(w));
}

ResolvedModel resolve_model(const std::string& ref) {
  if (const Architecture* a = find_builtin_architecture(ref)) return {ref, *a};
  if (looks_like_path(ref)) {
    Architecture a = load_architecture_file(ref);
    return {a.name, a};
  }
  std::string names;
  std::vector<std::string> all;
  for (const auto& a : builtin_architectures()) names += (names.empty() ? "" : ", ") + a.name, all.push_back(a.name);
  throw InputError("--model", "", "unknown model '" + ref + "'" + did_you_mean(ref, all) + " - built-in models are " + names +
                                      "; or give a path to an architecture JSON or a Hugging Face config.json");
}

LatencySpread parse_spread(const Json& j, Diagnostics& diag) {
  LatencySpread s;
  ObjectReader r(j, "", diag);
  r.allow({"name", "description", "source", "fit"});
  auto pair = [&](const char* key, double& low, double& high) {
    if (const Json* p = r.object(key, true)) {
      ObjectReader q(*p, std::string("/") + key, diag);
      std::tie(low, high) = read_ratio_band(q);
      q.finish();
    }
  };
  pair("host_time", s.host_low, s.host_high);
  pair("kernel_time", s.kernel_low, s.kernel_high);
  pair("kernel_time_projected", s.projected_low, s.projected_high);
  s.kernel_memory_low = s.kernel_low, s.kernel_memory_high = s.kernel_high;
  s.projected_memory_low = s.projected_low, s.projected_memory_high = s.projected_high;
  if (r.member("kernel_time_memory")) pair("kernel_time_memory", s.kernel_memory_low, s.kernel_memory_high);
  if (r.member("kernel_time_projected_memory"))
    pair("kernel_time_projected_memory", s.projected_memory_low, s.projected_memory_high);
  if (r.member("host_time_probed")) pair("host_time_probed", s.probed_low, s.probed_high);
  r.finish();
  return s;
}

Json spread_to_json(const LatencySpread& s) {
  Json j = {{"host_time", {{"low", s.host_low}, {"high", s.host_high}}},
            {"kernel_time", {{"low", s.kernel_low}, {"high", s.kernel_high}}},
            {"kernel_time_memory", {{"low", s.kernel_memory_low}, {"high", s.kernel_memory_high}}},
            {"kernel_time_projected", {{"low", s.projected_low}, {"high", s.projected_high}}},
            {"kernel_time_projected_memory", {{"low", s.projected_memory_low}, {"high", s.projected_memory_high}}}};
  if (s.probed_low > 0) j["host_time_probed"] = {{"low", s.probed_low}, {"high", s.probed_high}};
  return j;
}

LatencySpread builtin_spread(const Catalog& catalog) {
  // Built-in data is compiled in and the same for every catalog: parsed once, not per sweep (validate
  // simulates each run as a sweep of its own, and the host fit does so hundreds of times).
  static const LatencySpread spread = [&] {
    const Json* j = catalog.builtin_json("ranges.json");
    if (!j) throw std::runtime_error("builtin data lacks ranges.json");
    Diagnostics diag("builtin:ranges.json");
    LatencySpread s = parse_spread(*j, diag);
    diag.throw_if_any();
    return s;
  }();
  return spread;
}

namespace {

bool no_spread(const LatencySpread& s) {
  for (double x : {s.host_low, s.host_high, s.kernel_low, s.kernel_high, s.kernel_memory_low, s.kernel_memory_high,
                   s.projected_low, s.projected_high, s.projected_memory_low, s.projected_memory_high})
    if (x != 1) return false;
  return true;
}

}  // namespace

LatencySpread spread_for_host(LatencySpread s, const HostSpec& host, const std::string& model) {
  if (!host.spread_covers(model) || no_spread(s)) return s;
  s.host_low = host.spread_low;
  s.host_high = host.spread_high;
  return s;
}

namespace {

// The latency of the call with host and kernel times at one end of the spread.
double latency_at(const Workload& w, const DeviceSpec& d, const FrameworkSpec& f, SimOptions o, double host,
                  double compute, double memory) {
  o.host_factor *= host;
  o.launch_factor *= host;
  o.compute_kernel_factor *= compute;
  o.memory_kernel_factor *= memory;
  o.timeline = false;
  return simulate(w, d, f, o).latency_s;
}

}  // namespace

void add_range(ResultRow& r, const Workload& w, const DeviceSpec& d, const FrameworkSpec& f, const SimOptions& o,
               const LatencySpread& s) {
  const bool projected = !d.efficiency_like.empty();
  if (no_spread(s)) {  // no spread (Grid::ranges off): the range is the prediction, not simulated twice more
    r.latency_low_s = r.latency_high_s = r.sim.latency_s;
    return;
  }
  // The device's kernel bands: where compute binds (low, high), then the other kernels'.
  const auto [c_low, c_high, m_low, m_high] =
      projected ? std::array{s.projected_low, s.projected_high, s.projected_memory_low, s.projected_memory_high}
                : std::array{s.kernel_low, s.kernel_high, s.kernel_memory_low, s.kernel_memory_high};
  r.latency_low_s = std::min(r.sim.latency_s, latency_at(w, d, f, o, s.host_low, c_low, m_low));
  r.latency_high_s = std::max(r.sim.latency_s, latency_at(w, d, f, o, s.host_high, c_high, m_high));
}

HostSpec host_for(const Catalog& catalog, const DeviceSpec& device, const HostSpec* given) {
  return given ? *given : catalog.host_of(device);
}

namespace {

// The host that runs a device/framework pair and the host its framework costs were measured on; none
// when they are the same (costs measured on the device's own machine, no --host) or the framework has
// no per-op host costs (graph replay).
std::optional<std::pair<HostSpec, HostSpec>> host_and_reference(const Catalog& catalog, const DeviceSpec& device,
                                                                const FrameworkSpec& framework, const HostSpec* given) {
  if (framework.reference_host.empty()) return std::nullopt;
  bool own = device.framework(framework.name) || framework.reference_host == device.host;
  if (own && !given) return std::nullopt;
  HostSpec ref = own ? catalog.host_of(device) : catalog.host(framework.reference_host);
  return std::make_pair(host_for(catalog, device, given), ref);
}

}  // namespace

double host_factor(const Catalog& catalog, const DeviceSpec& device, const FrameworkSpec& framework,
                   const HostSpec* given) {
  auto h = host_and_reference(catalog, device, framework, given);
  return h ? h->first.relative_time / h->second.relative_time : 1.0;
}

double python_host_factor(const Catalog& catalog, const DeviceSpec& device, const FrameworkSpec& framework,
                          const HostSpec* given) {
  auto h = host_and_reference(catalog, device, framework, given);
  auto module_over_ops = [](const HostSpec& x) { return x.python_time() / x.relative_time; };
  return h ? module_over_ops(h->first) / module_over_ops(h->second) : 1.0;
}

double launch_host_factor(const Catalog& catalog, const DeviceSpec& device, const HostSpec* given) {
  bool own = device.launch_measured_on.empty() || device.launch_measured_on == device.host;
  if (own && !given) return 1.0;
  HostSpec measured = own ? catalog.host_of(device) : catalog.host(device.launch_measured_on);
  return host_for(catalog, device, given).relative_time / measured.relative_time;
}

void mark_crossovers(std::vector<ResultRow>& rows) {
  using Key = std::tuple<std::string, std::string, std::string, int, long long, long long, std::string, long long>;
  std::map<Key, std::vector<std::size_t>> series;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    series[{r.model, r.device, r.framework, static_cast<int>(r.dtype), r.seq, r.image, r.phase, r.context}].push_back(i);
  }
  for (auto& [key, idx] : series) {
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return rows[a].batch < rows[b].batch; });
    std::optional<long long> cross;
    for (std::size_t i : idx)
      if (rows[i].sim.bound != Regime::framework && rows[i].fits) {  // never a batch that does not fit
        cross = rows[i].batch;
        break;
      }
    for (std::size_t i : idx) rows[i].crossover_batch = cross;
  }
}

namespace {

std::vector<OpResult> breakdown_of(const Workload& w, const SimResult& s, const DeviceSpec& d, const FrameworkSpec& f) {
  std::vector<OpResult> out;
  const std::vector<KernelTime> kt = time_kernels(w, d, f);
  std::vector<double> gpu(w.ops.size(), 0.0), host(w.ops.size(), 0.0);
  for (const auto& sp : s.gpu_spans)
    if (sp.op < w.ops.size()) gpu[sp.op] += sp.dur_s;
  for (const auto& sp : s.host_spans)
    if (sp.op < w.ops.size()) host[sp.op] += sp.dur_s;
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    const Op& op = w.ops[i];
    OpResult r;
    r.name = w.name(op.name);
    if (op.scope) r.scope = w.name(op.scope);
    if (op.scope) r.name += " [" + r.scope + "]";
    if (op.module) r.module = w.name(op.module);
    r.op_class = std::string(op_class_name(op.cls));
    r.waits = op.sync;
    r.host_s = host[i];
    r.gpu_s = gpu[i];
    r.kernels = op.kernel_count;
    std::array<double, 4> by_bound{};
    for (std::uint32_t k = 0; k < op.kernel_count; ++k) {
      const Kernel& kn = w.kernels[op.first_kernel + k];
      r.flops += kn.flops;
      r.bytes += kn.bytes;
      const KernelTime& t = kt[op.first_kernel + k];
      by_bound[static_cast<std::size_t>(t.bound)] += t.time_s;
    }
    if (op.kernel_count > 0)
      r.bound = bound_name(static_cast<Bound>(std::max_element(by_bound.begin(), by_bound.end()) - by_bound.begin()));
    out.push_back(std::move(r));
  }
  return out;
}

// A row's per-op breakdown and its timeline both come from one synchronized call simulated with its
// timeline recorded.
void add_details(ResultRow& r, const Workload& w, const DeviceSpec& d, const FrameworkSpec& f, const SimOptions& o,
                 bool breakdown, std::vector<TimelineRun>* timelines) {
  if (!breakdown && !timelines) return;
  SimOptions one = o;
  one.measure = Measure::sync;
  one.timeline = true;
  SimResult s = simulate(w, d, f, one);
  if (breakdown) {
    r.breakdown = breakdown_of(w, s, d, f);
    for (const Span& sp : s.host_spans)
      if (sp.op == UINT32_MAX) r.call_host_s += sp.dur_s;
    for (const Span& sp : s.gpu_spans)  // the call's kernels as simulated, each once
      if (sp.kernel < w.kernels.size() && w.kernels[sp.kernel].bandwidth_fraction < 1)
        ++r.slow_layout_kernels, r.slow_layout_gpu_s += sp.dur_s;
    r.workspace_capped_convs = w.workspace_capped_convs;
    r.conv_workspace_limit_bytes = f.conv_workspace_limit_bytes;
  }
  if (timelines) timelines->push_back({w, std::move(s), d.name, f.name});
}

// Timelines are kept for every configuration: refuse a sweep too large to hold and to open.
void check_timeline_size(std::size_t configs) {
  if (configs > kMaxTimelineConfigs)
    throw InputError("--timeline", "",
                     "the sweep has " + std::to_string(configs) + " configurations; a timeline holds at most " +
                         std::to_string(kMaxTimelineConfigs) + " (one process pair each): narrow the lists");
}

// The dtype warning of a device, once per device/dtype pair.
void note_dtype(SweepExtras* extras, const DeviceSpec& d, DType t) { warn_once(extras, dtype_fallback_warning(d, t)); }

// A stack that picks its passes by compute capability, on a GPU whose profile gives none: say which it took.
void note_compute_capability(SweepExtras* extras, const DeviceSpec& d, const FrameworkSpec& f) {
  if (d.kind != DeviceKind::gpu || d.compute_capability > 0) return;
  for (const FrameworkPass& p : f.passes)
    if (p.compute_capability_min > 0 || p.compute_capability_below > 0) {
      warn_once(extras, d.name + " gives no compute_capability: " + f.name +
                            " takes the passes of the newest GPUs (give the profile a \"compute_capability\", "
                            "e.g. 6.1 for Pascal, where they differ)");
      return;
    }
}

void note_compiled_decode(SweepExtras* extras, const FrameworkSpec& f, const FrameworkSpec& compiled) {
  warn_once(extras, "HF generate() on a GPU with a static cache compiles each decode step's forward: under " + f.name +
                        ", decode steps are predicted as " + compiled.name + "'s forward (one graph replay) plus " +
                        f.name + "'s sampling loop; the prefill stays " + f.name);
}

}  // namespace

namespace {

void add_to(BreakdownTotal& t, const OpResult& o) {
  t.ops++;
  t.kernels += o.kernels;
  t.host_s += o.host_s;
  t.gpu_s += o.gpu_s;
  t.flops += o.flops;
  t.bytes += o.bytes;
}

}  // namespace

bool uncalled_module(const OpResult& o) { return o.op_class.starts_with("module_") && o.host_s == 0; }

std::vector<BreakdownTotal> breakdown_by_class(const std::vector<OpResult>& ops) {
  std::vector<BreakdownTotal> out;
  for (const auto& o : ops) {
    if (uncalled_module(o)) continue;  // listed, it would count Python calls that never run
    auto it = std::find_if(out.begin(), out.end(), [&](const BreakdownTotal& t) { return t.key == o.op_class; });
    if (it == out.end()) it = out.insert(out.end(), BreakdownTotal{o.op_class});
    add_to(*it, o);
  }
  std::stable_sort(out.begin(), out.end(), [](const BreakdownTotal& a, const BreakdownTotal& b) {
    return a.host_s + a.gpu_s > b.host_s + b.gpu_s;
  });
  return out;
}

std::vector<BreakdownTotal> breakdown_by_module(const std::vector<OpResult>& ops) {
  if (std::none_of(ops.begin(), ops.end(), [](const OpResult& o) { return !o.module.empty(); })) return {};
  std::vector<BreakdownTotal> out;
  std::map<std::string, std::size_t> index;
  for (const auto& o : ops) {
    auto [it, added] = index.emplace(o.module, out.size());
    if (added) out.push_back(BreakdownTotal{o.module});
    BreakdownTotal& t = out[it->second];
    if (!uncalled_module(o)) add_to(t, o);
    // A container's own call is the module call that opens it: its name is the module's.
    if (!o.scope.empty() && o.scope == o.module) t.calls++;
  }
  std::erase_if(out, [](const BreakdownTotal& t) { return t.ops == 0; });  // a container of uncalled modules
  return out;
}

double profiler_host_scale(const Catalog& catalog) {
  const Json* j = catalog.builtin_json("profiler.json");
  if (!j || !j->contains("host_time_scale")) throw std::runtime_error("builtin data lacks profiler.json");
  return (*j)["host_time_scale"].get<double>();
}

namespace {

// Activations: the operands of the largest kernel (what must be resident at once at the peak).
double largest_operands_bytes(const Workload& w) {
  double largest = 0;
  for (const auto& k : w.kernels) largest = std::max(largest, k.bytes);
  return largest;
}

// A row's memory need against its device's capacity.
void set_memory(ResultRow& r, double bytes, const DeviceSpec& d) {
  r.memory_bytes = bytes;
  r.capacity_bytes = d.memory_capacity_bytes;
  r.fits = r.capacity_bytes <= 0 || r.memory_bytes <= r.capacity_bytes;
}

// How a trace is replayed on one device under one framework.
struct TraceReplay {
  TraceWhatIf what;
  SimOptions options;
  // The framework's workload passes, applied to the traced (eager) workload as to a built one; not
  // when the replay keeps the traced host times (the traced framework itself).
  std::vector<const WorkloadPass*> passes;
};

TraceReplay trace_replay(const Trace& t, const std::string& traced, const DeviceSpec& d, const FrameworkSpec& f,
                         const SweepRequest& q, const Catalog& catalog) {
  check_runs_on(f, d);
  TraceReplay r;
  r.what.profiler_scale = profiler_host_scale(catalog);
  r.what.device = &d;
  r.what.same_device = (t.kernel_events > 0 && d.name == traced) || (t.kernel_events == 0 && d.kind == DeviceKind::cpu);
  // Traced host times stand for the framework that was traced (Python eager); another framework
  // uses its profile's costs per op class. A CPU trace timed on a GPU has no usable host times.
  r.what.keep_host_times = f.mode == ExecMode::eager && f.name == "pytorch-eager" &&
                           !(t.kernel_events == 0 && d.kind == DeviceKind::gpu);
  r.options.measure = q.measure;
  r.options.host_factor = r.what.keep_host_times ? 1.0 / q.host_x : host_factor(catalog, d, f) / q.host_x;
  r.options.launch_factor = launch_host_factor(catalog, d) / q.host_x;
  if (!r.what.keep_host_times) r.options.python_factor = python_host_factor(catalog, d, f);
  if (!r.what.keep_host_times) r.passes = passes_for(d, f);
  return r;
}

// The devices a trace is replayed on: the request's, else the traced GPU.
std::vector<std::string> trace_devices(const SweepRequest& q, const Trace& t, const std::string& traced) {
  if (!q.devices.empty()) return q.devices;
  if (t.kernel_events == 0)
    throw InputError(q.trace, "", "the trace has no GPU kernels: a CPU run (give --device with a CPU profile), or a trace cut before its first kernel");
  return {traced.empty() ? "h100" : traced};
}

// The host speed-up at which the trace, replayed as traced (pytorch-eager on the first device, the
// traced batch and length), takes the measured latency: the replay is monotone in it, so bisect
// its logarithm over --host-x's range. A latency the replay cannot reach is an input error.
double anchored_host_x(const Trace& t, const std::string& traced, const DeviceSpec& d, SweepRequest q,
                       const Catalog& catalog) {
  const FrameworkSpec f = catalog.framework_on(d, "pytorch-eager");
  auto latency = [&](double x) {
    q.host_x = x;
    TraceReplay rp = trace_replay(t, traced, d, f, q, catalog);
    return simulate(trace_workload(t, rp.what), d, f, rp.options).latency_s;
  };
  double lo = std::log(1e-3), hi = std::log(1e3);
  const double slowest = latency(std::exp(lo)), fastest = latency(std::exp(hi));
  const double s = q.measured_latency_s;
  if (s > slowest || s < fastest)
    throw InputError("--measured-latency", format_number("%g", s),
                     "the replay of this trace takes " + format_number("%.4g", fastest) + " to " +
                         format_number("%.4g", slowest) +
                         " s over host speeds 0.001-1000x; expected a latency in that range");
  for (int i = 0; i < 60; ++i) {
    double mid = 0.5 * (lo + hi);
    (latency(std::exp(mid)) > s ? lo : hi) = mid;
  }
  return std::exp(0.5 * (lo + hi));
}

// Replays a trace over the request's devices, frameworks, batches and sequence lengths.
std::vector<ResultRow> run_trace_sweep(const SweepRequest& request, const Catalog& catalog, SweepExtras* extras) {
  Trace t = load_trace_file(request.trace);
  // --dtype may name the trace's own dtype (a matrix script passing the same flags to every run).
  if (request.dtypes_given)
    for (DType d : request.dtypes)
      if (d != t.dtype)
        throw InputError("--dtype", std::string(dtype_name(d)),
                         "the trace was recorded in " + std::string(dtype_name(t.dtype)) +
                             " and runs in the dtype it was recorded in: leave --dtype out, or give " +
                             std::string(dtype_name(t.dtype)));
  replace_host_outliers(t);
  std::string traced = device_for_gpu_name(t.gpu_name);
  const std::vector<std::string> device_refs = trace_devices(request, t, traced);
  std::vector<DeviceSpec> devices;
  for (const auto& d : device_refs) devices.push_back(catalog.device(d));
  check_distinct_profiles("--device", "device", device_refs, devices);
  {
    std::vector<FrameworkSpec> frameworks;  // as the first device takes them (a CPU profile's own, by name)
    for (const auto& f : request.frameworks) frameworks.push_back(catalog.framework_on(devices.front(), f));
    check_distinct_profiles("--framework", "framework", request.frameworks, frameworks);
  }
  SweepRequest q = request;
  if (q.measured_latency_s > 0) q.host_x = anchored_host_x(t, traced, devices.front(), q, catalog);
  std::vector<long long> batches = q.batches.empty() ? std::vector<long long>{0} : q.batches;
  std::vector<long long> seqs = q.seqs.empty() ? std::vector<long long>{0} : q.seqs;
  if (t.seq == 0 && !q.seqs.empty())
    throw InputError("--seq", "", "the trace's sequence length could not be inferred from its shapes");
  if (t.batch == 0 && !q.batches.empty())
    throw InputError("--batch", "", "the trace's batch size could not be inferred from its shapes");
  std::vector<TimelineRun>* timelines = q.timelines && extras ? &extras->timelines : nullptr;
  if (timelines) check_timeline_size(devices.size() * q.frameworks.size() * batches.size() * seqs.size());
  std::vector<ResultRow> rows;
  const LatencySpread spread = builtin_spread(catalog);
  const double weight_bytes = trace_weight_bytes(t);
  for (const DeviceSpec& d : devices) {
    for (const auto& fref : q.frameworks) {
      FrameworkSpec f = catalog.framework_on(d, fref);
      TraceReplay rp = trace_replay(t, traced, d, f, q, catalog);
      for (long long b : batches)
        for (long long sq : seqs) {
          rp.what.batch = b;
          rp.what.seq = sq;
          Workload w = trace_workload(t, rp.what);
          apply_passes(w, rp.passes, PassContext{d.kind == DeviceKind::gpu});
          ResultRow r;
          r.model = w.config.model;
          r.device = d.name;
          const HostSpec host = host_for(catalog, d);
          r.host = host.name;
          r.framework = f.name;
          r.dtype = w.config.dtype;
          r.batch = w.config.batch;
          r.seq = w.config.seq;
          r.image = w.config.seq > 0 ? 0 : t.image;
          r.trace_outliers = t.outliers;
          r.sim = simulate(w, d, f, rp.options);
          add_range(r, w, d, f, rp.options, spread_for_host(spread, host, r.model));
          note_dtype(extras, d, r.dtype);
          add_details(r, w, d, f, rp.options, q.breakdown, timelines);
          // What must be resident: the weights the ops read and the largest kernel's operands.
          set_memory(r, weight_bytes + largest_operands_bytes(w), d);
          rows.push_back(std::move(r));
        }
    }
  }
  mark_crossovers(rows);
  return rows;
}

}  // namespace

Phase phase_of(const std::string& name) {
  if (name == "forward") return Phase::forward;
  if (name == "prefill") return Phase::prefill;
  if (name == "decode") return Phase::decode;
  throw InputError("--phase", "", "expected forward, prefill, decode or generate, got \"" + name + "\"");
}

void check_distinct_names(std::string_view flag, std::string_view what, const std::vector<std::string>& given,
                          const std::vector<std::string>& names) {
  for (std::size_t j = 1; j < names.size(); ++j)
    for (std::size_t i = 0; i < j; ++i)
      if (names[i] == names[j])
        throw InputError(std::string(flag), given[j],
                         given[i] == given[j]
                             ? "given twice: each " + std::string(what) + " once"
                             : "names " + std::string(what) + " '" + names[j] + "' as " + given[i] +
                                   " does: rows could not be told apart; give each profile its own \"name\"");
}

void check_phase(const std::string& phase, const std::vector<long long>& contexts, long long new_tokens) {
  if (phase != "generate") phase_of(phase);  // names the flag when the phase is unknown
  if (phase == "generate" && new_tokens < 1)
    throw InputError("--new-tokens", "", "expected the number of tokens to generate (>= 1) with --phase generate");
  if (phase != "generate" && new_tokens > 0)
    throw InputError("--new-tokens", "", "only --phase generate produces new tokens (decode is one step: --context)");
  if (phase != "decode" && !(contexts.size() == 1 && contexts[0] == 0))
    throw InputError("--context", "", "only --phase decode reads a context (a generate call's grows from --seq)");
}

double memory_bytes(const Architecture& a, const WorkloadConfig& c, double kv_tokens, const Workload& w) {
  const double elem = bytes_per_element(c.dtype);
  double weights = a.params;
  double cache = 0;
  if (const auto* t = std::get_if<TransformerConfig>(&a.config); t && c.phase != Phase::forward) {
    if (const TransformerFamily& f = transformer_family(*t); f.causal_lm()) weights += f.lm_head_params(*t);  // an untied LM head
    cache = 2 * static_cast<double>(t->layers) * static_cast<double>(c.batch) * kv_tokens *
            static_cast<double>(t->kv() * t->head_dim());
  }
  return (weights + cache) * elem + largest_operands_bytes(w);
}


// The framework a decode step's forward runs under where HF generate() compiles it: a static cache on a
// GPU, under a framework that names one (FrameworkSpec::static_cache_decode); none otherwise.
std::optional<FrameworkSpec> compiled_decode(const Catalog& catalog, const DeviceSpec& d, const FrameworkSpec& f,
                                             KvCache cache) {
  if (f.static_cache_decode.empty() || cache != KvCache::static_cache || d.kind != DeviceKind::gpu) return {};
  return catalog.framework_on(d, f.static_cache_decode);  // the name was checked when f was read
}

// One decode step's workload. Where generate compiles the step, the model's forward (up to the logits)
// comes from the compiled mode's passes, marked as one graph replay whose first op carries the compiled
// call's host cost (its guards and wrapper, cudagraph trees' bookkeeping), and generate's sampling loop
// after the logits from the eager framework's own build.
Workload decode_step(const Architecture& a, const WorkloadConfig& c, const Backend& backend, const DeviceSpec& d,
                     const std::optional<FrameworkSpec>& compiled) {
  if (!compiled) return build_workload(a, c, backend);
  WorkloadConfig forward = c;
  forward.sampling = false;
  Backend cb = make_backend(d, *compiled);
  cb.record_scopes = backend.record_scopes;
  Workload w = build_workload(a, forward, cb);
  for (Op& op : w.ops) op.graphed = true;
  if (!w.ops.empty())
    w.ops.front().host_s = compiled->call_host_s + compiled->graph_replay_host_s + guard_host_s(w, *compiled);
  const Workload whole = build_workload(a, c, backend), model = build_workload(a, forward, backend);
  w.append_ops(whole, model.ops.size());  // the eager build's ops after its logits
  w.config = c;
  return w;
}

void add_decode_steps(ResultRow& r, const Architecture& a, const WorkloadConfig& prefill, const Backend& backend,
                      const DeviceSpec& d, const FrameworkSpec& f, const SimOptions& o, const LatencySpread& spread,
                      long long new_tokens, const std::optional<FrameworkSpec>& compiled) {
  // The prefill gives the first token; each of the others takes one decode step over a cache one
  // token longer. Step times are simulated at up to 33 contexts and interpolated between them.
  const double ttft = r.sim.latency_s, ttft_low = r.latency_low_s, ttft_high = r.latency_high_s;
  const long long steps = new_tokens - 1;
  double total = 0, low = 0, high = 0, busy = 0, host = 0, compute = 0, other = 0, waits = 0, waited = 0;
  if (steps > 0) {
    const long long samples = std::min<long long>(steps, 33);
    std::vector<long long> at;
    for (long long i = 0; i < samples; ++i)
      at.push_back(prefill.seq + (samples > 1 ? i * (steps - 1) / (samples - 1) : 0));
    // latency, low, high, GPU busy, host busy, GPU time compute-bound, GPU time bound otherwise, the
    // host's waits and its time waiting
    std::vector<std::array<double, 9>> v;
    for (long long ctx : at) {
      WorkloadConfig c = prefill;
      c.phase = Phase::decode;
      c.seq = 1;
      c.context = ctx;
      Workload w = decode_step(a, c, backend, d, compiled);
      ResultRow one;
      one.sim = simulate(w, d, f, o);
      add_range(one, w, d, f, o, spread);
      const SimResult& s = one.sim;
      v.push_back({s.latency_s, one.latency_low_s, one.latency_high_s, s.gpu_busy_s, s.host_busy_s, s.gpu_compute_s,
                   s.gpu_memory_s + s.gpu_floor_s + s.gpu_elements_s, static_cast<double>(s.host_waits), s.host_wait_s});
    }
    // The steps a..b-1 between two sampled contexts take the line through their times; the last
    // sample is its own step.
    std::array<double, 9> sum{};
    for (std::size_t i = 0; i + 1 < at.size(); ++i) {
      const double n = static_cast<double>(at[i + 1] - at[i]);
      for (int k = 0; k < 9; ++k) sum[k] += n * v[i][k] + (v[i + 1][k] - v[i][k]) * (n - 1) / 2;
    }
    for (int k = 0; k < 9; ++k) sum[k] += v.back()[k];
    total = sum[0], low = sum[1], high = sum[2], busy = sum[3], host = sum[4], compute = sum[5], other = sum[6];
    waits = sum[7], waited = sum[8];
  }
  r.ttft_s = ttft;
  r.tpot_s = steps > 0 ? total / static_cast<double>(steps) : 0;
  r.sim.latency_s = ttft + total;
  r.latency_low_s = ttft_low + low;
  r.latency_high_s = ttft_high + high;
  r.sim.gpu_busy_s += busy;
  r.sim.host_busy_s += host;
  r.sim.host_waits += static_cast<std::size_t>(std::llround(waits));
  r.sim.host_wait_s += waited;
  r.sim.framework_tax_s = std::max(0.0, r.sim.latency_s - r.sim.gpu_busy_s);
  // The whole call's regime, by the simulator's rule over prefill and steps together (the decode
  // steps, not the prefill, make most of a long generate call).
  r.sim.gpu_compute_s += compute;
  r.sim.gpu_memory_s += other;  // memory-, floor- and element-bound time count alike here
  r.sim.bound = regime_of(r.sim);
}

std::vector<ResultRow> simulate_grid(const Grid& g, const Catalog& catalog, SweepExtras* extras) {
  std::vector<TimelineRun>* timelines = g.timelines && extras ? &extras->timelines : nullptr;
  if (timelines) {
    std::size_t configs = 0;
    for (const auto& m : g.models) {
      const auto& sizes = m.arch.input == InputKind::tokens ? g.seqs : g.images;
      configs += std::max<std::size_t>(1, sizes.size());
    }
    check_timeline_size(configs * g.devices.size() * g.frameworks.size() * g.dtypes.size() * g.batches.size());
  }
  std::vector<ResultRow> rows;
  const LatencySpread spread = g.ranges ? builtin_spread(catalog) : LatencySpread{};
  for (const auto& m : g.models) {
    bool tokens = m.arch.input == InputKind::tokens;
    std::vector<long long> sizes = tokens ? g.seqs : g.images;
    if (sizes.empty()) sizes = {tokens ? m.arch.default_seq : m.arch.default_image};
    for (const DeviceSpec& d : g.devices) {
      for (const FrameworkSpec& f0 : g.frameworks) {
        const FrameworkSpec& f = d.framework(f0.name) ? *d.framework(f0.name) : f0;
        check_runs_on(f, d);
        SimOptions o;
        o.measure = g.measure;
        const HostSpec* given = g.host ? &*g.host : nullptr;
        if (given && d.kind == DeviceKind::cpu)
          throw InputError("--host", given->name, "'" + d.name + "' is a CPU device, which runs its frameworks itself: "
                                                  "its host is the CPU it was calibrated on (calibrate another CPU to "
                                                  "predict for it)");
        o.host_factor = host_factor(catalog, d, f, given) / g.host_x;
        o.python_factor = python_host_factor(catalog, d, f, given);
        o.launch_factor = launch_host_factor(catalog, d, given) / g.host_x;
        const HostSpec host_spec = host_for(catalog, d, given);
        const std::string host = host_spec.name;
        const LatencySpread row_spread = spread_for_host(spread, host_spec, m.ref);
        Backend backend = make_backend(d, f);
        backend.record_scopes = g.breakdown || timelines;  // module paths name ops
        const bool generate = g.phase == "generate";
        const Phase phase = generate ? Phase::prefill : phase_of(g.phase);
        for (DType dt : g.dtype_from_config && m.arch.dtype ? std::vector<DType>{*m.arch.dtype} : g.dtypes)
          for (long long size : sizes) {
            // A generate call's last step sits at position prompt + new tokens - 1: say so by the
            // flags the user gave, before a step's own check names --context.
            if (generate && tokens && m.arch.max_seq > 0 && size + g.new_tokens - 1 > m.arch.max_seq)
              throw InputError("--new-tokens", std::to_string(g.new_tokens),
                               "a prompt of " + std::to_string(size) + " tokens (--seq) and " +
                                   std::to_string(g.new_tokens) + " new tokens reach position " +
                                   std::to_string(size + g.new_tokens - 1) + "; " + m.ref + " has " +
                                   std::to_string(m.arch.max_seq) +
                                   " positions (max_position_embeddings): at most --new-tokens " +
                                   std::to_string(m.arch.max_seq - size + 1));
            for (long long batch : g.batches)
              for (long long context : phase == Phase::decode ? g.contexts : std::vector<long long>{0}) {
                WorkloadConfig c;
                c.model = m.ref;
                c.dtype = dt;
                c.batch = batch;
                c.phase = phase;
                c.context = context;
                (tokens ? c.seq : c.image) = phase == Phase::decode ? 1 : size;
                c.cache = g.cache;
                // HF generate sizes a static cache for the whole call (max_length - 1); a lone decode
                // step's holds at least its context and the new token.
                c.cache_len = g.cache != KvCache::static_cache ? 0
                              : g.cache_len > 0             ? g.cache_len
                              : generate                    ? size + g.new_tokens - 1
                                                            : context + c.seq;
                const std::optional<FrameworkSpec> compiled =
                    phase == Phase::decode || generate ? compiled_decode(catalog, d, f, c.cache) : std::nullopt;
                if (compiled) note_compiled_decode(extras, f, *compiled);
                Workload w = phase == Phase::decode ? decode_step(m.arch, c, backend, d, compiled)
                                                    : build_workload(m.arch, c, backend);
                ResultRow r;
                r.model = m.ref;
                r.device = d.name;
                r.host = host;
                r.host_factor = o.host_factor;
                r.python_factor = o.python_factor;
                r.framework = f.name;
                r.dtype = dt;
                r.batch = batch;
                r.seq = c.seq;
                r.image = c.image;
                r.phase = g.phase;
                r.context = context;
                r.sim = simulate(w, d, f, o);
                add_range(r, w, d, f, o, row_spread);
                note_dtype(extras, d, dt);
                note_compute_capability(extras, d, f);
                add_details(r, w, d, f, o, g.breakdown, timelines);
                double kv_tokens = static_cast<double>(context + c.seq);
                if (generate) {
                  r.new_tokens = g.new_tokens;
                  kv_tokens += static_cast<double>(g.new_tokens);
                  add_decode_steps(r, m.arch, c, backend, d, f, o, row_spread, g.new_tokens, compiled);
                }
                r.tokens_per_s = static_cast<double>(batch) *
                                 static_cast<double>(generate ? g.new_tokens : c.seq > 0 ? c.seq : 1) /
                                 r.sim.latency_s;
                if (c.cache == KvCache::static_cache) kv_tokens = std::max(kv_tokens, static_cast<double>(c.cache_len));
                set_memory(r, memory_bytes(m.arch, c, kv_tokens, w), d);
                rows.push_back(std::move(r));
              }
          }
      }
    }
  }
  mark_crossovers(rows);
  return rows;
}

std::vector<ResultRow> run_sweep(const SweepRequest& q, const Catalog& catalog, SweepExtras* extras) {
  if (!q.trace.empty() && !q.host.empty())
    throw InputError("--host", q.host, "a trace replays with its own machine's host times; --host takes --model");
  if (!q.trace.empty()) return run_trace_sweep(q, catalog, extras);
  Diagnostics diag("simulate");
  if (q.batches.empty()) diag.add("--batch", "expected at least one batch size");
  if (!(q.host_x > 0)) diag.add("--host-x", "expected a number > 0");
  diag.throw_if_any();
  Grid g;
  for (const auto& m : q.models) g.models.push_back(resolve_model(m));
  // A size option that no model of the list reads is a mistake, not something to ignore silently.
  auto reads = [&](InputKind k) {
    return std::any_of(g.models.begin(), g.models.end(),
                       [&](const ResolvedModel& m) { return m.arch.input == k; });
  };
  if (!g.models.empty() && !q.seqs.empty() && !reads(InputKind::tokens))
    diag.add("--seq", "none of the models reads a token sequence (" + g.models.front().ref +
                          " takes images: give their size with --image)");
  if (!g.models.empty() && !q.images.empty() && !reads(InputKind::image))
    diag.add("--image", "none of the models takes images (" + g.models.front().ref +
                            (g.models.front().arch.max_seq == 1
                                 ? " takes one input vector per sample: give only --batch)"
                                 : " reads tokens: give the sequence length with --seq)"));
  diag.throw_if_any();
  for (const auto& d : q.devices) g.devices.push_back(catalog.device(d));
  for (const auto& f : q.frameworks) {
    // A framework measured on the device itself needs no built-in profile of that name.
    bool embedded = !g.devices.empty() && std::all_of(g.devices.begin(), g.devices.end(),
                                                      [&](const DeviceSpec& d) { return d.framework(f) != nullptr; });
    g.frameworks.push_back(embedded ? *g.devices.front().framework(f) : catalog.framework(f));
  }
  check_distinct_profiles("--device", "device", q.devices, g.devices);
  check_distinct_profiles("--framework", "framework", q.frameworks, g.frameworks);
  g.dtypes = q.dtypes;
  g.dtype_from_config = q.dtype_from_config;
  // An explicit --dtype wins over a config.json's; say so when they differ, once per model.
  if (extras && !q.dtype_from_config)
    for (const auto& m : g.models)
      if (m.arch.dtype && std::find(q.dtypes.begin(), q.dtypes.end(), *m.arch.dtype) == q.dtypes.end())
        extras->warnings.push_back(m.ref + " is stored in " + std::string(dtype_name(*m.arch.dtype)) +
                                   " (its config.json's dtype); simulated in the --dtype given instead");
  g.batches = q.batches;
  g.seqs = q.seqs;
  g.images = q.images;
  g.measure = q.measure;
  g.host_x = q.host_x;
  if (!q.host.empty()) {
    g.host = catalog.host(q.host);
    warn_once(extras, catalog.host_name_warning(q.host, *g.host));
  }
  check_phase(q.phase, q.contexts, q.new_tokens);
  g.phase = q.phase;
  g.contexts = q.contexts;
  g.new_tokens = q.new_tokens;
  g.cache = q.cache;
  g.cache_len = q.cache_len;
  g.breakdown = q.breakdown;
  g.timelines = q.timelines;
  return simulate_grid(g, catalog, extras);
}

}  // namespace fwtax
