#include "model/host.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace fwtax {

HostSpec parse_host(const Json& j, Diagnostics& diag, const std::string& pointer) {
  HostSpec h;
  ObjectReader r(j, pointer, diag);
  r.allow({"schema", "fit", "microbench"});
  h.name = r.string("name");
  if (r.has("name") && j["name"].is_string() && h.name.empty())
    diag.add(pointer_join(pointer, "name"), "expected a host name (rows and the host column show it), got \"\"");
  if (const auto fit = j.find("fit"); fit != j.end() && fit->is_object())
    h.fitted_device = string_member(*fit, "device", "");
  h.description = r.string_or("description", "");
  h.cpu = r.string_or("cpu", "");
  h.relative_time = r.number("relative_time", NumberRule::positive, 1.0);
  // module_relative_time: this member's name before it covered each op's Python side too (profiles
  // written by earlier calibrations), read as python_relative_time.
  const double older = r.number_or("module_relative_time", NumberRule::positive, 0.0);
  h.python_relative_time = r.number_or("python_relative_time", NumberRule::positive, 0.0);
  const char* python_key = "python_relative_time";
  if (r.has("module_relative_time") && r.has("python_relative_time"))
    diag.add(pointer_join(pointer, "module_relative_time"),
             "expected one of module_relative_time (the older name) and python_relative_time, got both");
  else if (r.has("module_relative_time"))
    h.python_relative_time = older, python_key = "module_relative_time";
  h.source = r.string_or("source", "");
  // Beyond these a number is a mistake (a unit slip, a ratio written upside down), not a machine: a
  // host 1000x slower than a 2023 server's dispatch would take seconds per op.
  for (auto [key, v] : {std::pair<const char*, double>{"relative_time", h.relative_time},
                        std::pair<const char*, double>{python_key, h.python_relative_time}})
    if (v > kMaxRelativeTime || (v > 0 && v < 1 / kMaxRelativeTime))
      diag.add(pointer_join(pointer, key), "expected a time relative to the reference host between 0.001 and " +
                                               std::to_string(static_cast<int>(kMaxRelativeTime)) + ", got " +
                                               describe(Json(v)));
  if (const Json* sp = r.object("host_time_spread", false)) {
    const std::string at = pointer_join(pointer, "host_time_spread");
    ObjectReader q(*sp, at, diag);
    std::tie(h.spread_low, h.spread_high) = read_ratio_band(q);
    if (const Json* ms = q.array("models", true)) {
      for (std::size_t i = 0; i < ms->size(); ++i) {
        if (!(*ms)[i].is_string() || (*ms)[i].get<std::string>().empty())
          diag.add(pointer_join(at, "models") + "/" + std::to_string(i), "expected a model name, got " + (*ms)[i].dump());
        else
          h.spread_models.push_back((*ms)[i].get<std::string>());
      }
      if (ms->empty()) diag.add(pointer_join(at, "models"), "expected the models whose runs the spread is of (none given)");
    }
    q.finish();
    if (h.has_spread() && (h.spread_low < 1 / kMaxRelativeTime || h.spread_high > kMaxRelativeTime))
      diag.add(at, "expected low and high between 0.001 and 1000 (measured over predicted time), got low " +
                       describe(Json(h.spread_low)) + ", high " + describe(Json(h.spread_high)));
  }
  r.finish();
  return h;
}

bool HostSpec::spread_covers(const std::string& model) const {
  return has_spread() && (std::find(spread_models.begin(), spread_models.end(), model) != spread_models.end() ||
                          std::find(spread_models.begin(), spread_models.end(), "*") != spread_models.end());
}

Json host_to_json(const HostSpec& h) {
  Json j = {{"name", h.name}, {"relative_time", h.relative_time}};
  if (h.python_relative_time > 0) j["python_relative_time"] = h.python_relative_time;
  if (!h.description.empty()) j["description"] = h.description;
  if (!h.cpu.empty()) j["cpu"] = h.cpu;
  if (!h.source.empty()) j["source"] = h.source;
  if (h.has_spread())
    j["host_time_spread"] = {{"low", h.spread_low}, {"high", h.spread_high}, {"models", h.spread_models}};
  return j;
}

}  // namespace fwtax
