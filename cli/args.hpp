#pragma once
// Command-line parsing: strict flags (unknown ones are errors), lists such as 1,2,4 or 1:256.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fwtax::cli {

struct FlagSpec {
  std::string name;  // "--batch"
  bool takes_value = true;
  std::string help;  // one line
  std::string value_name = "";  // "LIST", "FILE"...
};

// Parsed arguments of one command.
class Args {
 public:
  // Throws InputError for unknown flags, missing values and repeated flags.
  Args(const std::vector<std::string>& argv, const std::vector<FlagSpec>& specs);
  bool has(std::string_view flag) const;
  std::optional<std::string> get(std::string_view flag) const;
  std::string get_or(std::string_view flag, std::string fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
};

// How LIST values are written, for --help of the commands that take integer lists.
extern const char* const kListSyntax;

// "1,2,4" or a doubling range "1:256" (A, 2A, 4A ... B; a B that is not A times a power of two is an
// error), or a mix "1:8,12"; every value in [lo, hi].
std::vector<long long> parse_int_list(std::string_view flag, std::string_view text, long long lo, long long hi);
// One integer in [lo, hi] (--min-batch): a list or a range there is an error, not its first value.
long long parse_int(std::string_view flag, std::string_view text, long long lo, long long hi);
// A positive number list "1,2,4,8" (--speedup and friends).
std::vector<double> parse_number_list(std::string_view flag, std::string_view text);
double parse_number(std::string_view flag, std::string_view text, double lo, double hi);
std::vector<std::string> split_list(std::string_view flag, std::string_view text);
// --host of a command that runs on one host: a list there is an error that points at project.
std::string one_host(const std::string& value, const std::string& command);

// The --help text: the synopsis, one line per flag, then `footer` (kListSyntax, say) if given.
std::string usage_of(const std::string& synopsis, const std::vector<FlagSpec>& specs, const std::string& footer = "");

}  // namespace fwtax::cli
