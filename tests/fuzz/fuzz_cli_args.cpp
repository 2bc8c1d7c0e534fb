// Command-line values: batch, sequence and size lists, number lists and ranges (the parts of the CLI
// that read free text). The input is split on newlines into a flag's values.
#include "cli/args.hpp"
#include "tests/fuzz/fuzz_common.hpp"

using namespace fwtax;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string s = fuzz::text(data, size);
  fuzz::guarded([&] {
    for (long long v : cli::parse_int_list("--batch", s, 1, 1LL << 40))
      if (v < 1 || v > (1LL << 40)) fuzz::finding("batch out of its range", static_cast<double>(v));
  });
  fuzz::guarded([&] {
    for (double v : cli::parse_number_list("--speedup", s))
      if (!(v >= 1e-6 && v <= 1e6)) fuzz::finding("number out of its range", v);
  });
  fuzz::guarded([&] { cli::split_list("--model", s); });
  return 0;
}
