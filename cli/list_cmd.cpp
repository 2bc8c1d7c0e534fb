#include <cstdio>

#include "cli/args.hpp"
#include "cli/commands.hpp"
#include "model/arch/architecture.hpp"
#include "model/catalog.hpp"
#include "model/error.hpp"

namespace fwtax::cli {

int cmd_list(const std::vector<std::string>& argv, std::ostream& out) {
  Args a(argv, {{"--help", false, "this help", ""}});
  const char* usage = "Usage: fwtax list models|devices|frameworks|hosts\n";
  if (a.has("--help")) {
    out << usage;
    return 0;
  }
  if (a.positional().size() != 1)
    throw InputError("list", "", "expected one of models, devices, frameworks, hosts");
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
    entries = c.devices();
  } else if (what == "frameworks") {
    entries = c.frameworks();
  } else if (what == "hosts") {
    entries = c.hosts();
  } else {
    throw InputError("list", "", "expected one of models, devices, frameworks, hosts, got \"" + what + "\"");
  }
  std::size_t w = 0;
  for (const auto& e : entries) w = std::max(w, e.name.size());
  for (const auto& e : entries) out << e.name << std::string(w + 2 - e.name.size(), ' ') << e.description << '\n';
  return 0;
}

}  // namespace fwtax::cli
