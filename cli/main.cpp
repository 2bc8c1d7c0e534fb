// fwtax: thin main; everything lives in the libraries.
#include <iostream>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  return fwtax::cli::run_cli(args, std::cout, std::cerr);
}
