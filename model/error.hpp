#pragma once
// The one error type for bad input, and the collector that gathers every problem of a file.
#include <stdexcept>
#include <string>
#include <vector>

namespace fwtax {

// One problem found in user input: the file (or command-line flag), the place in it and what was
// expected there.
struct Diagnostic {
  std::string file;     // a path, "builtin:devices/h100.json" or a flag such as "--batch"
  std::string where;    // a JSON pointer, "line 3, column 7", or empty
  std::string message;  // "expected a number > 0, got \"3.35 TB/s\""
  std::string str() const;
};

// Thrown for malformed or inconsistent input; carries every diagnostic that was found.
class InputError : public std::runtime_error {
 public:
  explicit InputError(std::vector<Diagnostic> diagnostics);
  InputError(std::string file, std::string where, std::string message);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Collects the diagnostics of one input so that a parser can report all of them at once.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void add(std::string where, std::string message);
  bool empty() const { return items_.empty(); }
  const std::string& file() const { return file_; }
  const std::vector<Diagnostic>& items() const { return items_; }
  // Throws an InputError holding everything collected so far, if anything was.
  void throw_if_any() const;

 private:
  std::string file_;
  std::vector<Diagnostic> items_;
};

}  // namespace fwtax
