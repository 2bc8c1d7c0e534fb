#include "model/catalog.hpp"

#include <algorithm>

#include "model/embedded.hpp"
#include "model/error.hpp"

namespace fwtax {

bool looks_like_path(std::string_view ref) {
  return ref.find('/') != std::string_view::npos || (ref.size() > 5 && ref.substr(ref.size() - 5) == ".json");
}

Json load_json_file(const std::string& path) { return parse_json(read_file_text(path), path); }

Catalog::Catalog() {
  std::size_t n = 0;
  const EmbeddedFile* f = embedded_files(&n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string p = f[i].path;
    if (p.size() < 5 || p.substr(p.size() - 5) != ".json") continue;
    files_.push_back({p, f[i].text(), nullptr});
  }
}

const Json& Catalog::parsed(const File& f) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!f.json) f.json = std::make_unique<Json>(parse_json(f.text, "builtin:" + f.path));
  return *f.json;
}

const Catalog& Catalog::builtin() {
  static const Catalog c;
  return c;
}

const Catalog::File* Catalog::find(std::string_view dir, std::string_view name) const {
  std::string want = std::string(dir) + "/" + std::string(name) + ".json";
  for (const auto& f : files_)
    if (f.path == want) return &f;
  return nullptr;
}

std::vector<CatalogEntry> Catalog::list(std::string_view dir) const {
  std::vector<CatalogEntry> out;
  std::string prefix = std::string(dir) + "/";
  for (const auto& f : files_) {
    if (f.path.rfind(prefix, 0) != 0 || f.path.find('/', prefix.size()) != std::string::npos) continue;
    std::string name = f.path.substr(prefix.size(), f.path.size() - prefix.size() - 5);
    const Json& j = parsed(f);
    std::string desc = string_member(j, "description", "");
    out.push_back({name, desc});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::vector<CatalogEntry> Catalog::devices() const { return list("devices"); }
std::vector<CatalogEntry> Catalog::frameworks() const { return list("frameworks"); }
std::vector<CatalogEntry> Catalog::hosts() const { return list("hosts"); }

const Json* Catalog::builtin_json(std::string_view path) const {
  for (const auto& f : files_)
    if (f.path == path) return &parsed(f);
  return nullptr;
}

std::vector<std::string> Catalog::builtin_paths() const {
  std::vector<std::string> out;
  for (const auto& f : files_) out.push_back(f.path);
  return out;
}

namespace {

// Resolves `ref` to (file label, JSON): a file path, or a built-in name in `dir`.
template <typename Lister>
std::pair<std::string, Json> resolve(const Catalog& c, std::string_view dir, std::string_view ref,
                                     std::string_view what, std::string_view flag, Lister list) {
  if (looks_like_path(ref)) {
    std::string path(ref);
    return {path, load_json_file(path)};
  }
  if (const Json* j = c.builtin_json(std::string(dir) + "/" + std::string(ref) + ".json"))
    return {"builtin:" + std::string(dir) + "/" + std::string(ref) + ".json", *j};
  std::string names;
  std::vector<std::string> all;
  for (const auto& e : list()) names += (names.empty() ? "" : ", ") + e.name, all.push_back(e.name);
  throw InputError(std::string(flag), "", "unknown " + std::string(what) + " '" + std::string(ref) + "'" +
                                              did_you_mean(std::string(ref), all) + " - built-in " +
                                              std::string(what) + "s are " + names +
                                              "; or give a path to a JSON profile" +
                                              (what == "framework" ? "; or name one that the --device profile carries "
                                                                     "(such as a CPU profile's onnxruntime)"
                                                                   : ""));
}

// A profile's reference to a host must resolve; the error names the profile and the member.
void check_host_ref(const Catalog& c, const std::string& file, const std::string& pointer, const std::string& host) {
  if (host.empty()) return;
  try {
    c.host(host);
  } catch (const InputError& e) {
    std::string names;
    for (const auto& h : c.hosts()) names += (names.empty() ? "" : ", ") + h.name;
    throw InputError(file, pointer, "unknown host '" + host + "' - built-in hosts are " + names +
                                        "; or give a path to a host JSON");
  }
}

}  // namespace

template <typename Spec, typename Load>
Spec Catalog::cached(std::map<std::string, Spec, std::less<>>& cache, std::string_view ref, Load load) const {
  if (looks_like_path(ref)) return load();
  {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    if (auto it = cache.find(ref); it != cache.end()) return it->second;
  }
  Spec spec = load();  // throws for an unknown or invalid profile, which is not kept
  std::lock_guard<std::mutex> lock(cache_mutex_);
  return cache.emplace(std::string(ref), std::move(spec)).first->second;
}

DeviceSpec Catalog::device(std::string_view ref) const {
  return cached(devices_, ref, [&] { return load_device(ref); });
}
FrameworkSpec Catalog::framework(std::string_view ref) const {
  return cached(frameworks_, ref, [&] { return load_framework(ref); });
}
HostSpec Catalog::host(std::string_view ref) const {
  return cached(hosts_, ref, [&] { return load_host(ref); });
}

DeviceSpec Catalog::load_device(std::string_view ref) const {
  auto [file, j] = resolve(*this, "devices", ref, "device", "--device", [&] { return devices(); });
  Diagnostics diag(file);
  DeviceSpec d = parse_device(j, diag);
  diag.throw_if_any();
  if (d.host_profile.empty()) check_host_ref(*this, file, "/host", d.host);
  if (d.launch_measured_on != d.host) check_host_ref(*this, file, "/launch/measured_on_host", d.launch_measured_on);
  for (const auto& f : d.frameworks)
    if (f.reference_host != d.host)
      check_host_ref(*this, file, "/frameworks/" + f.name + "/reference_host", f.reference_host);
  if (!d.efficiency_like.empty()) {
    if (d.efficiency_like == d.name || looks_like_path(d.efficiency_like))
      throw InputError(file, "/efficiency/like", "expected the name of another built-in device, got \"" +
                                                     d.efficiency_like + "\"");
    const File* ref_file = find("devices", d.efficiency_like);
    if (!ref_file)
      throw InputError(file, "/efficiency/like", "unknown device \"" + d.efficiency_like + "\"");
    Diagnostics rd("builtin:" + ref_file->path);
    DeviceSpec base = parse_device(parsed(*ref_file), rd);
    rd.throw_if_any();
    if (!base.efficiency_like.empty())
      throw InputError(file, "/efficiency/like", "\"" + d.efficiency_like + "\" inherits its curves itself");
    inherit_efficiency(d, base);
  }
  return d;
}

FrameworkSpec Catalog::load_framework(std::string_view ref) const {
  auto [file, j] = resolve(*this, "frameworks", ref, "framework", "--framework", [&] { return frameworks(); });
  Diagnostics diag(file);
  FrameworkSpec f = parse_framework(j, diag);
  diag.throw_if_any();
  check_host_ref(*this, file, "/reference_host", f.reference_host);
  if (!f.static_cache_decode.empty()) {
    const File* ref = find("frameworks", f.static_cache_decode);
    if (!ref) {
      std::string names;
      for (const auto& g : frameworks()) names += (names.empty() ? "" : ", ") + g.name;
      throw InputError(file, "/static_cache_decode", "unknown framework '" + f.static_cache_decode +
                                                         "' - expected a built-in framework: " + names);
    }
    Diagnostics rd("builtin:" + ref->path);
    FrameworkSpec g = parse_framework(parsed(*ref), rd);
    rd.throw_if_any();
    if (g.mode != ExecMode::graph && !g.cuda_graphs)  // the step's forward is one graph replay
      throw InputError(file, "/static_cache_decode",
                       "expected a framework that replays CUDA graphs (torch-compile-reduce-overhead, cuda-graphs), "
                       "got '" + g.name + "' (mode " + std::string(exec_mode_name(g.mode)) + ", no cuda_graphs)");
  }
  return f;
}

FrameworkSpec Catalog::framework_on(const DeviceSpec& d, std::string_view ref) const {
  if (const FrameworkSpec* own = d.framework(ref)) return *own;
  return framework(ref);
}

HostSpec Catalog::host_of(const DeviceSpec& d) const {
  return d.host_profile.empty() ? host(d.host) : d.host_profile.front();
}

namespace {

// The hosts built-in devices carry in their profiles (h200-calibrated-host), each with its file.
std::vector<std::pair<std::string, const Json*>> embedded_hosts(const Catalog& c) {
  std::vector<std::pair<std::string, const Json*>> out;
  for (const auto& d : c.devices()) {
    const std::string file = "devices/" + d.name + ".json";
    if (const Json* dj = c.builtin_json(file); dj && dj->contains("host") && (*dj)["host"].is_object())
      out.emplace_back("builtin:" + file, &(*dj)["host"]);
  }
  return out;
}

}  // namespace

std::string Catalog::host_name_warning(std::string_view ref, const HostSpec& h) const {
  if (!looks_like_path(ref)) return "";
  bool builtin = find("hosts", h.name) != nullptr;
  for (const auto& [file, hj] : embedded_hosts(*this)) builtin = builtin || hj->value("name", "") == h.name;
  if (!builtin) return "";
  const HostSpec b = host(h.name);  // the built-in's own file, given by its path, is that host
  if (b.relative_time == h.relative_time && b.python_relative_time == h.python_relative_time &&
      b.spread_low == h.spread_low && b.spread_high == h.spread_high)
    return "";
  return "--host " + std::string(ref) + " names its host '" + h.name + "', as a built-in host is named, with other "
         "speeds: its rows read as that host's; give the file its own \"name\" (calibrate --target host --name)";
}

HostSpec Catalog::load_host(std::string_view ref) const {
  // A host a built-in device carries in its profile, by its name, as list hosts shows it.
  if (!looks_like_path(ref) && !find("hosts", ref))
    for (const auto& [file, hj] : embedded_hosts(*this))
      if (hj->value("name", "") == ref) {
        Diagnostics diag(file);
        HostSpec h = parse_host(*hj, diag, "/host");
        diag.throw_if_any();
        return h;
      }
  auto [file, j] = resolve(*this, "hosts", ref, "host", "--host", [&] {
    std::vector<CatalogEntry> all = hosts();  // with those the built-in devices carry
    for (const auto& [f, hj] : embedded_hosts(*this)) all.push_back({hj->value("name", ""), ""});
    return all;
  });
  Diagnostics diag(file);
  HostSpec h = parse_host(j, diag);
  diag.throw_if_any();
  return h;
}

}  // namespace fwtax
