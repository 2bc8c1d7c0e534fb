#include "simulate/sweep.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "model/error.hpp"
#include "model/kernel_time.hpp"
#include "simulate/trace_file.hpp"

namespace fwtax {

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

double host_factor(const Catalog& catalog, const DeviceSpec& device, const FrameworkSpec& framework) {
  // Costs measured on the device's own machine need no conversion.
  if (framework.reference_host.empty() || device.framework(framework.name) ||
      framework.reference_host == device.host)
    return 1.0;
  HostSpec h = catalog.host_of(device);
  HostSpec ref = catalog.host(framework.reference_host);
  return h.relative_time / ref.relative_time;
}

double launch_host_factor(const Catalog& catalog, const DeviceSpec& device) {
  if (device.launch_measured_on.empty() || device.launch_measured_on == device.host) return 1.0;
  HostSpec h = catalog.host_of(device);
  return h.relative_time / catalog.host(device.launch_measured_on).relative_time;
}

void mark_crossovers(std::vector<ResultRow>& rows) {
  using Key = std::tuple<std::string, std::string, std::string, int, long long, long long>;
  std::map<Key, std::vector<std::size_t>> series;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    series[{r.model, r.device, r.framework, static_cast<int>(r.dtype), r.seq, r.image}].push_back(i);
  }
  for (auto& [key, idx] : series) {
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return rows[a].batch < rows[b].batch; });
    std::optional<long long> cross;
    for (std::size_t i : idx)
      if (rows[i].sim.bound != Regime::framework) {
        cross = rows[i].batch;
        break;
      }
    for (std::size_t i : idx) rows[i].crossover_batch = cross;
  }
}

namespace {

std::vector<OpResult> breakdown_of(const Workload& w, const SimResult& s, const DeviceSpec& d) {
  std::vector<OpResult> out;
  KernelTimer timer(d);
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
    r.host_s = host[i];
    r.gpu_s = gpu[i];
    r.kernels = op.kernel_count;
    std::array<double, 4> by_bound{};
    for (std::uint32_t k = 0; k < op.kernel_count; ++k) {
      const Kernel& kn = w.kernels[op.first_kernel + k];
      r.flops += kn.flops;
      r.bytes += kn.bytes;
      KernelTime t = timer.time(kn);
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
  if (breakdown) r.breakdown = breakdown_of(w, s, d);
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
void note_dtype(SweepExtras* extras, const DeviceSpec& d, DType t) {
  if (!extras) return;
  std::string w = dtype_fallback_warning(d, t);
  if (!w.empty() && std::find(extras->warnings.begin(), extras->warnings.end(), w) == extras->warnings.end())
    extras->warnings.push_back(std::move(w));
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

std::vector<BreakdownTotal> breakdown_by_class(const std::vector<OpResult>& ops) {
  std::vector<BreakdownTotal> out;
  for (const auto& o : ops) {
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
    add_to(t, o);
    // A container's own call is the module call that opens it: its name is the module's.
    if (!o.scope.empty() && o.scope == o.module) t.calls++;
  }
  return out;
}

double profiler_host_scale(const Catalog& catalog) {
  const Json* j = catalog.builtin_json("profiler.json");
  if (!j || !j->contains("host_time_scale")) throw std::runtime_error("builtin data lacks profiler.json");
  return (*j)["host_time_scale"].get<double>();
}

namespace {

// How a trace is replayed on one device under one framework.
struct TraceReplay {
  TraceWhatIf what;
  SimOptions options;
};

TraceReplay trace_replay(const Trace& t, const std::string& traced, const DeviceSpec& d, const FrameworkSpec& f,
                         const SweepRequest& q, const Catalog& catalog) {
  if (f.mode == ExecMode::graph && d.kind == DeviceKind::cpu)
    throw InputError("--framework", f.name, "CUDA graph replay needs a GPU device; '" + d.name + "' is a CPU");
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
  return r;
}

// The devices a trace is replayed on: the request's, else the traced GPU.
std::vector<std::string> trace_devices(const SweepRequest& q, const Trace& t, const std::string& traced) {
  if (!q.devices.empty()) return q.devices;
  if (t.kernel_events == 0)
    throw InputError(q.trace, "", "the trace has no GPU kernels (a CPU run): give --device with a CPU profile");
  return {traced.empty() ? "h100" : traced};
}

// Replays a trace over the request's devices, frameworks, batches and sequence lengths.
std::vector<ResultRow> run_trace_sweep(const SweepRequest& q, const Catalog& catalog, SweepExtras* extras) {
  Trace t = load_trace_file(q.trace);
  std::string traced = device_for_gpu_name(t.gpu_name);
  std::vector<std::string> devices = trace_devices(q, t, traced);
  std::vector<long long> batches = q.batches.empty() ? std::vector<long long>{0} : q.batches;
  std::vector<long long> seqs = q.seqs.empty() ? std::vector<long long>{0} : q.seqs;
  if (t.seq == 0 && !q.seqs.empty())
    throw InputError("--seq", "", "the trace's sequence length could not be inferred from its shapes");
  if (t.batch == 0 && !q.batches.empty())
    throw InputError("--batch", "", "the trace's batch size could not be inferred from its shapes");
  std::vector<TimelineRun>* timelines = q.timelines && extras ? &extras->timelines : nullptr;
  if (timelines) check_timeline_size(devices.size() * q.frameworks.size() * batches.size() * seqs.size());
  std::vector<ResultRow> rows;
  for (const auto& dref : devices) {
    DeviceSpec d = catalog.device(dref);
    for (const auto& fref : q.frameworks) {
      FrameworkSpec f = d.framework(fref) ? *d.framework(fref) : catalog.framework(fref);
      TraceReplay rp = trace_replay(t, traced, d, f, q, catalog);
      for (long long b : batches)
        for (long long sq : seqs) {
          rp.what.batch = b;
          rp.what.seq = sq;
          Workload w = trace_workload(t, rp.what);
          ResultRow r;
          r.model = w.config.model;
          r.device = d.name;
          r.framework = f.name;
          r.dtype = w.config.dtype;
          r.batch = w.config.batch;
          r.seq = w.config.seq;
          r.image = w.config.seq > 0 ? 0 : t.image;
          r.sim = simulate(w, d, f, rp.options);
          note_dtype(extras, d, r.dtype);
          add_details(r, w, d, f, rp.options, q.breakdown, timelines);
          rows.push_back(std::move(r));
        }
    }
  }
  mark_crossovers(rows);
  return rows;
}

}  // namespace

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
  for (const auto& m : g.models) {
    bool tokens = m.arch.input == InputKind::tokens;
    std::vector<long long> sizes = tokens ? g.seqs : g.images;
    if (sizes.empty()) sizes = {tokens ? m.arch.default_seq : m.arch.default_image};
    for (const DeviceSpec& d : g.devices) {
      for (const FrameworkSpec& f0 : g.frameworks) {
        const FrameworkSpec& f = d.framework(f0.name) ? *d.framework(f0.name) : f0;
        if (f.mode == ExecMode::graph && d.kind == DeviceKind::cpu)
          throw InputError("--framework", f.name, "CUDA graph replay needs a GPU device; '" + d.name + "' is a CPU");
        SimOptions o;
        o.measure = g.measure;
        o.host_factor = host_factor(catalog, d, f) / g.host_x;
        o.launch_factor = launch_host_factor(catalog, d) / g.host_x;
        Backend backend = make_backend(d, f);
        backend.record_scopes = g.breakdown || timelines;  // module paths name ops
        for (DType dt : g.dtypes)
          for (long long size : sizes)
            for (long long batch : g.batches) {
              WorkloadConfig c;
              c.model = m.ref;
              c.dtype = dt;
              c.batch = batch;
              (tokens ? c.seq : c.image) = size;
              Workload w = build_workload(m.arch, c, backend);
              ResultRow r;
              r.model = m.ref;
              r.device = d.name;
              r.framework = f.name;
              r.dtype = dt;
              r.batch = batch;
              r.seq = c.seq;
              r.image = c.image;
              r.sim = simulate(w, d, f, o);
              note_dtype(extras, d, dt);
              add_details(r, w, d, f, o, g.breakdown, timelines);
              rows.push_back(std::move(r));
            }
      }
    }
  }
  mark_crossovers(rows);
  return rows;
}

std::vector<ResultRow> run_sweep(const SweepRequest& q, const Catalog& catalog, SweepExtras* extras) {
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
                            " reads tokens: give the sequence length with --seq)");
  diag.throw_if_any();
  for (const auto& d : q.devices) g.devices.push_back(catalog.device(d));
  for (const auto& f : q.frameworks) {
    // A framework measured on the device itself needs no built-in profile of that name.
    bool embedded = !g.devices.empty() && std::all_of(g.devices.begin(), g.devices.end(),
                                                      [&](const DeviceSpec& d) { return d.framework(f) != nullptr; });
    g.frameworks.push_back(embedded ? *g.devices.front().framework(f) : catalog.framework(f));
  }
  g.dtypes = q.dtypes;
  g.batches = q.batches;
  g.seqs = q.seqs;
  g.images = q.images;
  g.measure = q.measure;
  g.host_x = q.host_x;
  g.breakdown = q.breakdown;
  g.timelines = q.timelines;
  return simulate_grid(g, catalog, extras);
}

}  // namespace fwtax
