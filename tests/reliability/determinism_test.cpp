// Determinism: the same inputs give byte-identical JSON and CSV from separate runs of the binary,
// whatever the locale, time zone or time of day.
#include <doctest/doctest.h>

#include "tests/test_util.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string output_of(const std::string& env, const std::string& args) {
  std::string out = fwtax::test::scratch("fwtax_determinism.out").string();
  std::string cmd = env + " " + std::string(FWTAX_BINARY) + " " + args + " > " + out + " 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(out, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("simulate, project and validate print byte-identical JSON and CSV across runs, locales and time zones") {
  const std::string paper = std::string(FWTAX_SOURCE_DIR) + "/data/measured/framework-tax-2022/pretrained-fp16/v100.csv";
  for (const std::string& args :
       {std::string("simulate --model bert-base,resnet50,gpt2 --device h100,v100,a100 --dtype fp32,fp16 --batch 1:64 "
                    "--format json"),
        std::string("simulate --model bert-base,resnet50 --device h100,1080ti --framework pytorch-eager,cuda-graphs "
                    "--batch 1,8,64 --measure pipelined --format csv"),
        std::string("project --model bert-base --devices 1080ti,v100,a100,h100,b200 --format json"),
        "validate --measured " + paper + " --format json"}) {
    CAPTURE(args);
    std::string a = output_of("LC_ALL=C TZ=UTC", args);
    std::string b = output_of("LC_ALL=de_DE.UTF-8 LANG=de_DE.UTF-8 TZ=Asia/Kolkata", args);
    std::string c = output_of("LC_ALL=C.UTF-8 TZ=America/Los_Angeles", args);
    CHECK(a.size() > 100);
    CHECK(a == b);
    CHECK(a == c);
  }
}
