#pragma once
// Shared by the libFuzzer harnesses: the bytes as text, and the rule every harness enforces. A
// parser may reject its input only with an InputError (the CLI turns it into exit status 2); any
// other exception, a crash, a sanitizer report or a non-finite or non-positive latency is a finding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "model/error.hpp"

namespace fwtax::fuzz {

inline std::string text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

[[noreturn]] inline void finding(const char* what, double value = NAN) {
  std::fprintf(stderr, "fuzz finding: %s (%g)\n", what, value);
  std::abort();
}

inline void check_latency(double s) {
  if (!std::isfinite(s) || !(s > 0)) finding("latency not finite and positive", s);
}

// Runs `fn`; InputErrors are the expected way to reject input.
template <typename F>
void guarded(F fn) {
  try {
    fn();
  } catch (const InputError&) {
  }
}

}  // namespace fwtax::fuzz
