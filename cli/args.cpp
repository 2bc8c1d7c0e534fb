#include "cli/args.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "model/error.hpp"

namespace fwtax::cli {

Args::Args(const std::vector<std::string>& argv, const std::vector<FlagSpec>& specs) {
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a.rfind("--", 0) != 0) {
      if (!a.empty() && a[0] == '-' && a.size() > 1 && !std::isdigit(static_cast<unsigned char>(a[1])))
        throw InputError(a, "", "unknown option; flags are written with two dashes (see --help)");
      positional_.push_back(a);
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    const FlagSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (!spec) {
      std::string valid;
      for (const auto& s : specs) valid += (valid.empty() ? "" : ", ") + s.name;
      throw InputError(name, "", "unknown option - valid options are " + valid);
    }
    if (values_.count(name)) throw InputError(name, "", "given more than once");
    if (spec->takes_value) {
      if (!inline_value) {
        if (i + 1 >= argv.size() || (argv[i + 1].rfind("--", 0) == 0 && argv[i + 1].size() > 2))
          throw InputError(name, "", "expected a value (" + (spec->value_name.empty() ? "VALUE" : spec->value_name) + ")");
        value = argv[++i];
      }
      if (value.empty()) throw InputError(name, "", "expected a value, got an empty string");
    } else if (inline_value) {
      throw InputError(name, "", "takes no value");
    }
    values_[name] = value;
  }
}

bool Args::has(std::string_view flag) const { return values_.find(flag) != values_.end(); }

std::optional<std::string> Args::get(std::string_view flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(std::string_view flag, std::string fallback) const {
  auto v = get(flag);
  return v ? *v : fallback;
}

std::string one_host(const std::string& value, const std::string& command) {
  if (value.find(',') != std::string::npos)
    throw InputError("--host", value, command + " runs on one host; to compare hosts, give project a list "
                                                "(fwtax project --host A,B)");
  return value;
}

std::vector<std::string> split_list(std::string_view flag, std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string item(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (item.empty())
      throw InputError(std::string(flag), "", "empty item in the list \"" + std::string(text) + "\"");
    out.push_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

const char* const kListSyntax =
    "LIST: values separated by commas, 1,2,4. Integer lists (--batch, --seq, --image) also take a doubling\n"
    "range A:B, meaning A, 2A, 4A, ... up to B; B must be A times a power of two (1:256, 3:48). Ranges and\n"
    "values mix: 1:8,12.";

namespace {

// What an integer list item looks like, appended to its errors.
const char* const kIntListHint = " (a LIST is 1,2,4 or a doubling range such as 1:256)";

long long parse_integer(std::string_view flag, const std::string& s, const std::string& whole, long long lo,
                        long long hi, const char* hint = kIntListHint) {
  std::string want = "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]" + hint;
  if (s.empty()) throw InputError(std::string(flag), "", want + ", got \"" + whole + "\"");
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || s.find_first_of(" \t") != std::string::npos)
    throw InputError(std::string(flag), "", want + ", got \"" + s + "\"");
  if (v < lo || v > hi) throw InputError(std::string(flag), "", want + ", got " + s);
  return v;
}

}  // namespace

long long parse_int(std::string_view flag, std::string_view text, long long lo, long long hi) {
  std::string s(text);
  return parse_integer(flag, s, s, lo, hi, "");
}

std::vector<long long> parse_int_list(std::string_view flag, std::string_view text, long long lo, long long hi) {
  std::vector<long long> out;
  for (const auto& item : split_list(flag, text)) {
    auto colon = item.find(':');
    if (colon == std::string::npos) {
      out.push_back(parse_integer(flag, item, item, lo, hi));
      continue;
    }
    long long a = parse_integer(flag, item.substr(0, colon), item, lo, hi);
    long long b = parse_integer(flag, item.substr(colon + 1), item, lo, hi);
    if (b < a)
      throw InputError(std::string(flag), "", "range \"" + item + "\" ends before it starts; expected A:B with A <= B");
    // A:B doubles from A; a B it never lands on would be dropped silently (3:9 gave 3,6), so it is refused.
    long long v = a;
    for (;; v *= 2) {
      out.push_back(v);
      if (v >= b || v > hi / 2 || v * 2 > b) break;
    }
    if (v != b) {
      std::string below = item.substr(0, colon) + ":" + std::to_string(v);
      std::string above = v <= hi / 2 ? " or " + item.substr(0, colon) + ":" + std::to_string(2 * v) : "";
      throw InputError(std::string(flag), "",
                       "range \"" + item + "\" doubles from " + std::to_string(a) + " and never lands on " +
                           std::to_string(b) + "; A:B means A, 2A, 4A, ... up to B, so B must be A times a power of "
                           "two (" + below + above + "), or list the values with commas");
    }
  }
  return out;
}

double parse_number(std::string_view flag, std::string_view text, double lo, double hi) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  char range[80];
  std::snprintf(range, sizeof range, "expected a number in [%g, %g]", lo, hi);
  std::string want = range;
  if (s.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v < lo || v > hi)
    throw InputError(std::string(flag), "", want + ", got \"" + s + "\"");
  return v;
}

std::vector<double> parse_number_list(std::string_view flag, std::string_view text) {
  std::vector<double> out;
  for (const auto& item : split_list(flag, text)) out.push_back(parse_number(flag, item, 1e-6, 1e6));
  return out;
}

std::string usage_of(const std::string& synopsis, const std::vector<FlagSpec>& specs, const std::string& footer) {
  std::string out = synopsis + "\n\nOptions:\n";
  std::size_t w = 0;
  for (const auto& s : specs) w = std::max(w, s.name.size() + (s.takes_value ? s.value_name.size() + 1 : 0));
  for (const auto& s : specs) {
    std::string left = s.name + (s.takes_value ? " " + s.value_name : "");
    out += "  " + left + std::string(w + 2 - left.size(), ' ') + s.help + "\n";
  }
  if (!footer.empty()) out += "\n" + footer + "\n";
  return out;
}

}  // namespace fwtax::cli
