#include "model/json_spec.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fwtax {

Json parse_json(std::string_view text, const std::string& file) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::out_of_range& e) {
    // nlohmann reports numbers beyond double range (1e400) without a position: find the token.
    std::string what = e.what();
    auto q = what.find('\'');
    std::string token = q == std::string::npos ? "" : what.substr(q + 1, what.find('\'', q + 1) - q - 1);
    std::size_t pos = token.empty() ? std::string_view::npos : text.find(token);
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; pos != std::string_view::npos && i < pos; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    throw InputError(file, pos == std::string_view::npos ? "" : "line " + std::to_string(line) + ", column " + std::to_string(col),
                     "number out of range: " + token + " (expected a finite number)");
  } catch (const Json::parse_error& e) {
    // Turn the byte offset into a line and column a person can find.
    std::size_t pos = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < pos; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    // nlohmann's message reads "[json.exception.parse_error.101] parse error at line 1, column 2: ...".
    auto colon = what.find(": ", what.find("column"));
    std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
    if (text.empty() || std::all_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
      detail = "the file is empty; expected a JSON document";
    throw InputError(file, "line " + std::to_string(line) + ", column " + std::to_string(col),
                     "not valid JSON: " + detail);
  }
}

std::string read_file_text(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path, "", "a directory; expected a file (name the files in it, comma-separated)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the file for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw InputError(path, "", "cannot read the file");
  return ss.str();
}

std::string did_you_mean(const std::string& ref, const std::vector<std::string>& names) {
  auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  std::string r = lower(ref), best;
  std::size_t best_d = 3;
  for (const auto& n : names) {
    std::string m = lower(n);
    // Edit distance, two rows.
    std::vector<std::size_t> prev(m.size() + 1), cur(m.size() + 1);
    for (std::size_t j = 0; j <= m.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= r.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= m.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] == m[j - 1] ? 0 : 1)});
      std::swap(prev, cur);
    }
    std::size_t d = prev[m.size()];
    if (d < best_d && d * 3 <= std::max<std::size_t>(m.size(), 3)) best_d = d, best = n;
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string string_member(const Json& j, const char* key, const std::string& fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

double number_member(const Json& j, const char* key, double fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string describe(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::null: return "null";
    case Json::value_t::discarded: return "nothing";
    default: break;
  }
  std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (s.size() > 48) s = s.substr(0, 45) + "...";
  return s;
}

std::string pointer_join(const std::string& pointer, std::string_view key) {
  std::string out = pointer + "/";
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string_view expectation(NumberRule rule) {
  switch (rule) {
    case NumberRule::finite: return "a finite number";
    case NumberRule::non_negative: return "a number >= 0";
    case NumberRule::positive: return "a number > 0";
    case NumberRule::fraction: return "a number in (0, 1]";
    case NumberRule::at_least_one: return "a number >= 1";
  }
  return "a number";
}

std::string check_number(const Json& v, NumberRule rule, double* out) {
  // The message is written only for a bad value: profiles hold thousands of good ones.
  auto want = [&] { return "expected " + std::string(expectation(rule)) + ", got " + describe(v); };
  if (!v.is_number()) return want();
  double x = v.get<double>();
  if (!std::isfinite(x) || std::fabs(x) > 1e300) return want() + " (out of range)";
  bool good = true;
  switch (rule) {
    case NumberRule::finite: break;
    case NumberRule::non_negative: good = x >= 0; break;
    case NumberRule::positive: good = x > 0; break;
    case NumberRule::fraction: good = x > 0 && x <= 1; break;
    case NumberRule::at_least_one: good = x >= 1; break;
  }
  if (!good) return want();
  if (out) *out = x;
  return {};
}

ObjectReader::ObjectReader(const Json& value, std::string pointer, Diagnostics& diagnostics)
    : object_(value.is_object() ? &value : nullptr), pointer_(std::move(pointer)), diag_(diagnostics) {
  if (!object_) diag_.add(pointer_.empty() ? "/" : pointer_, "expected an object, got " + describe(value));
}

bool ObjectReader::has(std::string_view key) const {
  return object_ && object_->contains(std::string(key));
}

const Json* ObjectReader::find(std::string_view key, bool required) {
  known_.emplace_back(key);
  if (!object_) return nullptr;
  auto it = object_->find(std::string(key));
  if (it == object_->end()) {
    if (required) diag_.add(pointer_join(pointer_, key), "missing required member");
    return nullptr;
  }
  return &*it;
}

void ObjectReader::bad(std::string_view key, const std::string& message) {
  diag_.add(pointer_join(pointer_, key), message);
}

double ObjectReader::number(std::string_view key, NumberRule rule, double fallback) {
  const Json* v = find(key, true);
  if (!v) return fallback;
  double x = fallback;
  if (auto m = check_number(*v, rule, &x); !m.empty()) bad(key, m);
  return x;
}

double ObjectReader::number_or(std::string_view key, NumberRule rule, double fallback) {
  auto x = optional_number(key, rule);
  return x ? *x : fallback;
}

std::optional<double> ObjectReader::optional_number(std::string_view key, NumberRule rule) {
  const Json* v = find(key, false);
  if (!v) return std::nullopt;
  double x = 0;
  if (auto m = check_number(*v, rule, &x); !m.empty()) {
    bad(key, m);
    return std::nullopt;
  }
  return x;
}

long long ObjectReader::integer(std::string_view key, long long lo, long long hi, long long fallback) {
  const Json* v = find(key, true);
  if (!v) return fallback;
  auto want = [&] {
    return "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + describe(*v);
  };
  if (!v->is_number()) {
    bad(key, want());
    return fallback;
  }
  double x = v->get<double>();
  if (!std::isfinite(x) || x != std::floor(x) || x < static_cast<double>(lo) || x > static_cast<double>(hi)) {
    bad(key, want());
    return fallback;
  }
  return static_cast<long long>(x);
}

long long ObjectReader::integer_or(std::string_view key, long long lo, long long hi, long long fallback) {
  if (!has(key)) {
    known_.emplace_back(key);
    return fallback;
  }
  return integer(key, lo, hi, fallback);
}

std::string ObjectReader::string(std::string_view key, std::string fallback) {
  const Json* v = find(key, true);
  if (!v) return fallback;
  if (!v->is_string()) {
    bad(key, "expected a string, got " + describe(*v));
    return fallback;
  }
  return v->get<std::string>();
}

std::string ObjectReader::string_or(std::string_view key, std::string fallback) {
  if (!has(key)) {
    known_.emplace_back(key);
    return fallback;
  }
  return string(key, std::move(fallback));
}

std::string ObjectReader::choice(std::string_view key, const std::vector<std::string>& choices,
                                 std::string fallback) {
  const Json* v = find(key, false);
  if (!v) return fallback;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  if (!v->is_string() || std::find(choices.begin(), choices.end(), v->get<std::string>()) == choices.end()) {
    bad(key, "expected one of " + list + ", got " + describe(*v));
    return fallback;
  }
  return v->get<std::string>();
}

bool ObjectReader::boolean_or(std::string_view key, bool fallback) {
  const Json* v = find(key, false);
  if (!v) return fallback;
  if (!v->is_boolean()) {
    bad(key, "expected true or false, got " + describe(*v));
    return fallback;
  }
  return v->get<bool>();
}

const Json* ObjectReader::object(std::string_view key, bool required) {
  const Json* v = find(key, required);
  if (v && !v->is_object()) {
    bad(key, "expected an object, got " + describe(*v));
    return nullptr;
  }
  return v;
}

const Json* ObjectReader::array(std::string_view key, bool required) {
  const Json* v = find(key, required);
  if (v && !v->is_array()) {
    bad(key, "expected an array, got " + describe(*v));
    return nullptr;
  }
  return v;
}

const Json* ObjectReader::member(std::string_view key) { return find(key, false); }

void ObjectReader::allow(std::initializer_list<std::string_view> keys) {
  for (auto k : keys) known_.emplace_back(k);
}

void ObjectReader::finish() {
  if (!object_) return;
  std::vector<std::string> valid = known_;
  std::sort(valid.begin(), valid.end());
  valid.erase(std::unique(valid.begin(), valid.end()), valid.end());
  for (auto it = object_->begin(); it != object_->end(); ++it) {
    if (std::binary_search(valid.begin(), valid.end(), it.key())) continue;
    std::string list;
    for (const auto& k : valid) list += (list.empty() ? "" : ", ") + k;
    diag_.add(pointer_join(pointer_, it.key()), "unknown key '" + it.key() + "' - valid keys are " + list);
  }
}

std::pair<double, double> read_ratio_band(ObjectReader& r) {
  const double low = r.number("low", NumberRule::positive), high = r.number("high", NumberRule::positive);
  if (low <= 0 || high <= 0) return {0, 0};  // reported by number()
  if (low > 1 || high < 1) {
    r.diagnostics().add(r.pointer(), "expected low <= 1 <= high (10th and 90th percentiles of measured over predicted "
                                     "time), got low " + describe(Json(low)) + ", high " + describe(Json(high)));
    return {0, 0};
  }
  return {low, high};
}

}  // namespace fwtax
