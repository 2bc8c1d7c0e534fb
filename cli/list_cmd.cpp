#include <algorithm>
#include <cstdio>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "model/arch/architecture.hpp"
#include "model/catalog.hpp"
#include "model/error.hpp"
#include "model/passes.hpp"
#include "simulate/report.hpp"
#include "simulate/sweep.hpp"

namespace fwtax::cli {
namespace {

// A rate for people: 989 / 71.0 / 0.48, "-" where the device has none.
std::string figure(double v) {
  if (!(v > 0)) return "-";
  return format_number(v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
}

// What distinguishes the devices: peaks, memory and the host that feeds them, read from the profiles
// and printed in the units a datasheet uses (SI in the files, TFLOP/s, TB/s and GB here).
void list_devices(const Catalog& c, std::ostream& out) {
  out << "Peak TFLOP/s (dense: fp32 on SIMT cores, tf32/fp16/bf16 on tensor cores; - for none, where that dtype's\n"
         "matrix products run in fp32), memory bandwidth (TB/s) and capacity (GB), and the host that feeds the\n"
         "device, with its dispatch time against the reference host (h100-vm-a). cc: a GPU's CUDA compute\n"
         "capability, by which a stack may pick its kernels or fuser (-: not given, taken as the newest).\n\n";
  std::vector<std::vector<std::string>> cells = {{"device", "kind", "cc", "fp32", "tf32", "fp16", "bf16", "TB/s", "GB",
                                                  "host", "host time", "description"}};
  for (const auto& e : c.devices()) {
    DeviceSpec d = c.device(e.name);
    HostSpec h = c.host_of(d);
    auto peak = [&](Math m) { return figure(d.peak_flops_per_s[static_cast<int>(m)] / 1e12); };
    cells.push_back({d.name, d.kind == DeviceKind::gpu ? "gpu" : "cpu",
                     d.compute_capability > 0 ? format_number("%.1f", d.compute_capability) : "-", peak(Math::fp32_simt), peak(Math::tf32_tensor),
                     peak(Math::fp16_tensor), peak(Math::bf16_tensor),
                     format_number("%.2f", d.memory_bandwidth_bytes_per_s / 1e12),
                     d.memory_capacity_bytes > 0 ? format_number("%.0f", d.memory_capacity_bytes / 1e9) : "-", h.name,
                     format_number("%.2fx", h.relative_time), d.description});
  }
  write_columns(out, cells, 2, 9);
}

void list_hosts(const Catalog& c, std::ostream& out) {
  const LatencySpread shared = builtin_spread(c);
  out << "Hosts: the CPU side that dispatches ops and launches kernels; time is its dispatch time against the\n"
         "reference host h100-vm-a (framework profiles' costs are measured there and scaled by it); python is\n"
         "the same for Python (nn.Module calls and each op's Python side) where the host has it apart (-: as\n"
         "its dispatch); host spread is the 10-90% of measured over predicted time on its own runs (a probed\n"
         "host's: data/ranges.json's host_time_probed), used for the ranges of the models in brackets (-:\n"
         "data/ranges.json's host_time, x"
      << format_number("%.2f", shared.host_low) << "-" << format_number("%.2f", shared.host_high)
      << ", as for every other model).\n\n";
  std::vector<std::vector<std::string>> cells = {{"host", "time", "python", "host spread", "description"}};
  std::vector<std::pair<std::string, std::string>> sources;  // printed after the table: they run long
  // Python's time where the host has it apart from its dispatch's ("-": as the dispatch).
  auto python = [](const HostSpec& h) {
    return h.python_relative_time > 0 ? format_number("%.2fx", h.python_relative_time) : std::string("-");
  };
  // The 10-90% host spread of the models it was fitted to ("-": data/ranges.json's for every model).
  auto spread = [](const HostSpec& h) {
    if (!h.has_spread()) return std::string("-");
    std::string models;
    for (const auto& m : h.spread_models) models += (models.empty() ? "" : ",") + (m == "*" ? "every model" : m);
    return format_number("x%.2f", h.spread_low) + format_number("-%.2f", h.spread_high) + " (" + models + ")";
  };
  for (const auto& e : c.hosts()) {
    HostSpec h = c.host(e.name);
    cells.push_back({h.name, format_number("%.2fx", h.relative_time), python(h), spread(h), h.description});
    sources.emplace_back(h.name, h.source);
  }
  // Hosts a calibrated device carries inside its profile (measured with it).
  for (const auto& e : c.devices()) {
    const DeviceSpec d = c.device(e.name);
    for (const HostSpec& h : d.host_profile) {
      cells.push_back({h.name, format_number("%.2fx", h.relative_time), python(h), spread(h),
                       h.description + " (in device " + d.name + ")"});
      sources.emplace_back(h.name, h.source);
    }
  }
  // By name, those carried by devices among the others.
  std::sort(cells.begin() + 1, cells.end());
  std::sort(sources.begin(), sources.end());
  write_columns(out, cells, 1, 3);
  out << "\nsources\n";
  for (const auto& [name, source] : sources) out << name << ": " << source << '\n';
}

}  // namespace

int cmd_list(const std::vector<std::string>& argv, std::ostream& out) {
  Args a(argv, {{"--help", false, "this help", ""}});
  const char* usage = "Usage: fwtax list models|devices|frameworks|hosts|passes\n";
  if (a.has("--help")) {
    out << usage;
    return 0;
  }
  if (a.positional().size() != 1)
    throw InputError("list", "", "expected one of models, devices, frameworks, hosts, passes");
  const std::string& what = a.positional()[0];
  const Catalog& c = Catalog::builtin();
  std::vector<CatalogEntry> entries;
  if (what == "models") {
    for (const auto& m : builtin_architectures()) {
      char params[32];
      std::snprintf(params, sizeof params, "%.1fM params", m.params / 1e6);
      entries.push_back({m.name, m.description + " (" + params + ")"});
    }
  } else if (what == "devices") {
    list_devices(c, out);
    return 0;
  } else if (what == "frameworks") {
    entries = c.frameworks();
  } else if (what == "hosts") {
    list_hosts(c, out);
    return 0;
  } else if (what == "passes") {
    // The workload passes a mode may list, and the built-in frameworks that list each.
    std::vector<FrameworkSpec> frameworks;
    for (const auto& f : c.frameworks()) frameworks.push_back(c.framework(f.name));
    for (const WorkloadPass& p : workload_passes()) {
      std::string users;
      for (const FrameworkSpec& f : frameworks)
        if (std::any_of(f.passes.begin(), f.passes.end(), [&](const FrameworkPass& step) { return step.name == p.name; }))
          users += (users.empty() ? "" : ", ") + f.name;
      entries.push_back({std::string(p.name), std::string(p.what) + " [" + (users.empty() ? "no built-in framework" : users) + "]"});
    }
  } else {
    throw InputError("list", "", "expected one of models, devices, frameworks, hosts, passes, got \"" + what + "\"");
  }
  std::size_t w = 0;
  for (const auto& e : entries) w = std::max(w, e.name.size());
  for (const auto& e : entries) out << e.name << std::string(w + 2 - e.name.size(), ' ') << e.description << '\n';
  return 0;
}

}  // namespace fwtax::cli
