#pragma once
// The catalog of devices, hosts and frameworks: built-in profiles by name, or JSON files by path.
// Every loaded profile is validated; errors name the file (or "builtin:<path>") and the place.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "model/device.hpp"
#include "model/framework.hpp"
#include "model/host.hpp"

namespace fwtax {

struct CatalogEntry {
  std::string name;
  std::string description;
};

class Catalog {
 public:
  // The built-in data; parsed lazily and cached.
  static const Catalog& builtin();

  std::vector<CatalogEntry> devices() const;
  std::vector<CatalogEntry> frameworks() const;
  std::vector<CatalogEntry> hosts() const;

  // `ref` is a built-in name or a path to a JSON file (anything with '/' or ending in ".json").
  DeviceSpec device(std::string_view ref) const;
  FrameworkSpec framework(std::string_view ref) const;
  // The framework `ref` as `device` runs it: the profile the device carries under that name (a
  // calibrated device's own costs), else framework(ref).
  FrameworkSpec framework_on(const DeviceSpec& device, std::string_view ref) const;
  HostSpec host(std::string_view ref) const;
  // The host a device is paired with: its embedded host profile, else the named one.
  HostSpec host_of(const DeviceSpec& d) const;
  // A warning when `ref`, a host file, names its host as a built-in host is named (rows show the name,
  // and would pass for the built-in's); "" otherwise.
  std::string host_name_warning(std::string_view ref, const HostSpec& h) const;

  // The raw JSON of a built-in file ("devices/h100.json"), for tests and `fwtax show`.
  const Json* builtin_json(std::string_view path) const;
  std::vector<std::string> builtin_paths() const;

 private:
  Catalog();
  struct File {
    std::string path;
    std::string_view text;
    mutable std::unique_ptr<Json> json;  // parsed on first use
  };
  std::vector<File> files_;
  mutable std::mutex mutex_;
  // Built-in profiles by name, once parsed and checked: a validation or a host fit asks for the same
  // device hundreds of times, and parsing it was most of a prediction's time. Files by path are read
  // each time (they may change between calls).
  mutable std::mutex cache_mutex_;
  mutable std::map<std::string, DeviceSpec, std::less<>> devices_;
  mutable std::map<std::string, FrameworkSpec, std::less<>> frameworks_;
  mutable std::map<std::string, HostSpec, std::less<>> hosts_;
  template <typename Spec, typename Load>
  Spec cached(std::map<std::string, Spec, std::less<>>& cache, std::string_view ref, Load load) const;
  DeviceSpec load_device(std::string_view ref) const;
  FrameworkSpec load_framework(std::string_view ref) const;
  HostSpec load_host(std::string_view ref) const;
  const Json& parsed(const File& f) const;
  const File* find(std::string_view dir, std::string_view name) const;
  std::vector<CatalogEntry> list(std::string_view dir) const;
};

bool looks_like_path(std::string_view ref);
// Loads and parses a JSON file, or throws an InputError naming it.
Json load_json_file(const std::string& path);

}  // namespace fwtax
