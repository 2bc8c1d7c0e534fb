#pragma once
// Strict reading of JSON specs: JSON -> plain spec struct, with every problem collected.
// Unknown keys, wrong types, non-finite or out-of-range numbers are diagnostics that name the
// file, the JSON pointer, the value found and what was expected.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/error.hpp"

namespace fwtax {

using Json = nlohmann::json;

// Parses JSON text; a syntax error becomes an InputError naming the file, line and column.
Json parse_json(std::string_view text, const std::string& file);
// Reads a whole file; a missing or unreadable file is an InputError.
std::string read_file_text(const std::string& path);
// A short rendering of a JSON value for messages: "\"3.35 TB/s\"", "-4", "an object".
std::string describe(const Json& value);

// A member of `j` when it is there with the right type, else `fallback` (nlohmann's value() throws on
// a wrong type; these never do). For optional, machine-written members only: members a user writes
// go through ObjectReader, which reports the wrong type.
std::string string_member(const Json& j, const char* key, const std::string& fallback);
double number_member(const Json& j, const char* key, double fallback);

// " (did you mean 'h100'?)" when `ref` is one of `names` but for case or a typo or two; else "".
std::string did_you_mean(const std::string& ref, const std::vector<std::string>& names);
// Appends a key to a JSON pointer, escaping '~' and '/'.
std::string pointer_join(const std::string& pointer, std::string_view key);

// What a number must satisfy.
enum class NumberRule { finite, non_negative, positive, fraction /* 0 < x <= 1 */, at_least_one };
std::string_view expectation(NumberRule rule);

// Reads the members of one JSON object; remembers which keys were read so that finish() can
// report the unknown ones. Missing required members and bad values go to the Diagnostics.
class ObjectReader {
 public:
  ObjectReader(const Json& value, std::string pointer, Diagnostics& diagnostics);

  bool ok() const { return object_ != nullptr; }
  bool has(std::string_view key) const;
  const std::string& pointer() const { return pointer_; }
  Diagnostics& diagnostics() const { return diag_; }

  // Required number; returns `fallback` after recording a diagnostic when absent or bad.
  double number(std::string_view key, NumberRule rule, double fallback = 0.0);
  // Optional number: `fallback` when absent, a diagnostic when present and bad.
  double number_or(std::string_view key, NumberRule rule, double fallback);
  std::optional<double> optional_number(std::string_view key, NumberRule rule);
  // Integer in [lo, hi].
  long long integer(std::string_view key, long long lo, long long hi, long long fallback = 0);
  long long integer_or(std::string_view key, long long lo, long long hi, long long fallback);
  std::string string(std::string_view key, std::string fallback = {});
  std::string string_or(std::string_view key, std::string fallback);
  // A string that must be one of `choices`.
  std::string choice(std::string_view key, const std::vector<std::string>& choices, std::string fallback);
  bool boolean_or(std::string_view key, bool fallback);
  // A member that must be an object / an array; nullptr (with a diagnostic if required) otherwise.
  const Json* object(std::string_view key, bool required);
  const Json* array(std::string_view key, bool required);
  // Any member, unchecked (the caller validates it); marks it as known.
  const Json* member(std::string_view key);
  // Marks keys as known without reading them (e.g. "source", "description").
  void allow(std::initializer_list<std::string_view> keys);
  // Reports every member that was not read or allowed.
  void finish();

 private:
  const Json* find(std::string_view key, bool required);
  void bad(std::string_view key, const std::string& message);

  const Json* object_;
  std::string pointer_;
  Diagnostics& diag_;
  std::vector<std::string> known_;
};

// A 10-90% band of measured over predicted time, members "low" and "high" read through `r` (its
// caller finishes it): both > 0 and low <= 1 <= high, since a band holds the prediction itself.
// {0, 0} unless it is one; a missing or bad end is reported where it is, a band leaving out 1 at r's
// object with its values.
std::pair<double, double> read_ratio_band(ObjectReader& r);

// Checks a JSON number against a rule; returns the message to record, or empty when fine.
std::string check_number(const Json& value, NumberRule rule, double* out);

}  // namespace fwtax
