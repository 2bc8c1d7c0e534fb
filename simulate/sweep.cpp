#include "simulate/sweep.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "model/error.hpp"

namespace fwtax {

ResolvedModel resolve_model(const std::string& ref) {
  if (const Architecture* a = find_builtin_architecture(ref)) return {ref, *a};
  std::string names;
  for (const auto& a : builtin_architectures()) names += (names.empty() ? "" : ", ") + a.name;
  throw InputError("--model", "", "unknown model '" + ref + "' - built-in models are " + names);
}

double host_factor(const Catalog& catalog, const DeviceSpec& device, const FrameworkSpec& framework) {
  if (framework.reference_host.empty()) return 1.0;
  HostSpec h = catalog.host(device.host);
  HostSpec ref = catalog.host(framework.reference_host);
  return h.relative_time / ref.relative_time;
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

std::vector<OpResult> breakdown_of(const Workload& w, const SimResult& s) {
  std::vector<OpResult> out;
  std::vector<double> gpu(w.ops.size(), 0.0), host(w.ops.size(), 0.0);
  for (const auto& sp : s.gpu_spans)
    if (sp.op < w.ops.size()) gpu[sp.op] += sp.dur_s;
  for (const auto& sp : s.host_spans)
    if (sp.op < w.ops.size()) host[sp.op] += sp.dur_s;
  for (std::size_t i = 0; i < w.ops.size(); ++i) {
    const Op& op = w.ops[i];
    OpResult r;
    r.name = w.name(op.name);
    if (op.scope) r.name += " [" + w.name(op.scope) + "]";
    r.op_class = std::string(op_class_name(op.cls));
    r.host_s = host[i];
    r.gpu_s = gpu[i];
    r.kernels = op.kernel_count;
    for (std::uint32_t k = 0; k < op.kernel_count; ++k) {
      r.flops += w.kernels[op.first_kernel + k].flops;
      r.bytes += w.kernels[op.first_kernel + k].bytes;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::vector<ResultRow> run_sweep(const SweepRequest& q, const Catalog& catalog) {
  Diagnostics diag("simulate");
  if (q.batches.empty()) diag.add("--batch", "expected at least one batch size");
  if (!(q.host_x > 0)) diag.add("--host-x", "expected a number > 0");
  diag.throw_if_any();
  std::vector<ResolvedModel> models;
  for (const auto& m : q.models) models.push_back(resolve_model(m));
  std::vector<DeviceSpec> devices;
  for (const auto& d : q.devices) devices.push_back(catalog.device(d));
  std::vector<FrameworkSpec> frameworks;
  for (const auto& f : q.frameworks) frameworks.push_back(catalog.framework(f));

  std::vector<ResultRow> rows;
  for (const auto& m : models) {
    bool tokens = m.arch.input == InputKind::tokens;
    std::vector<long long> sizes = tokens ? q.seqs : q.images;
    if (sizes.empty()) sizes = {tokens ? m.arch.default_seq : m.arch.default_image};
    for (std::size_t di = 0; di < devices.size(); ++di) {
      const DeviceSpec& d = devices[di];
      for (std::size_t fi = 0; fi < frameworks.size(); ++fi) {
        const FrameworkSpec& f = frameworks[fi];
        if (f.mode == ExecMode::graph && d.kind == DeviceKind::cpu)
          throw InputError("--framework", f.name, "CUDA graph replay needs a GPU device; '" + d.name + "' is a CPU");
        SimOptions o;
        o.measure = q.measure;
        o.host_factor = host_factor(catalog, d, f) / q.host_x;
        o.launch_factor = 1.0 / q.host_x;
        Backend backend = make_backend(d, f);
        backend.record_scopes = q.breakdown;
        for (DType dt : q.dtypes)
          for (long long size : sizes)
            for (long long batch : q.batches) {
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
              if (q.breakdown) {
                SimOptions one = o;
                one.measure = Measure::sync;
                one.timeline = true;
                r.breakdown = breakdown_of(w, simulate(w, d, f, one));
              }
              rows.push_back(std::move(r));
            }
      }
    }
  }
  mark_crossovers(rows);
  return rows;
}

TimelineRun simulate_timeline(const SweepRequest& q, const Catalog& catalog) {
  ResolvedModel m = resolve_model(q.models.front());
  DeviceSpec d = catalog.device(q.devices.front());
  FrameworkSpec f = catalog.framework(q.frameworks.front());
  SimOptions o;
  o.measure = Measure::sync;
  o.host_factor = host_factor(catalog, d, f) / q.host_x;
  o.launch_factor = 1.0 / q.host_x;
  o.timeline = true;
  Backend backend = make_backend(d, f);
  backend.record_scopes = true;
  WorkloadConfig c;
  c.model = m.ref;
  c.dtype = q.dtypes.front();
  c.batch = q.batches.front();
  bool tokens = m.arch.input == InputKind::tokens;
  if (tokens)
    c.seq = q.seqs.empty() ? m.arch.default_seq : q.seqs.front();
  else
    c.image = q.images.empty() ? m.arch.default_image : q.images.front();
  TimelineRun t;
  t.workload = build_workload(m.arch, c, backend);
  t.result = simulate(t.workload, d, f, o);
  t.device = d.name;
  t.framework = f.name;
  return t;
}

}  // namespace fwtax
