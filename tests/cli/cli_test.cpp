#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/commands.hpp"
#include "model/json_spec.hpp"

using namespace fwtax;

namespace {

struct Run {
  int status;
  std::string out, err;
};

Run run(std::vector<std::string> args) {
  std::ostringstream out, err;
  int s = cli::run_cli(args, out, err);
  return {s, out.str(), err.str()};
}

// Runs the real binary; returns its exit status and stderr.
Run binary(const std::string& args) {
  std::string err_file = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/fwtax_cli_test.err";
  std::string cmd = std::string(FWTAX_BINARY) + " " + args + " > /dev/null 2> " + err_file;
  int raw = std::system(cmd.c_str());
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  return {WEXITSTATUS(raw), "", ss.str()};
}

}  // namespace

TEST_CASE("simulate --format json prints one object per configuration with the contract's keys") {
  Run r = run({"simulate", "--model", "bert-base", "--batch", "1:4", "--dtype", "fp16", "--format", "json"});
  REQUIRE(r.status == 0);
  Json j = Json::parse(r.out);
  REQUIRE(j.is_array());
  CHECK(j.size() == 3);
  for (const char* key : {"model", "device", "framework", "dtype", "batch", "seq", "image", "latency_s", "host_busy_s",
                          "gpu_busy_s", "framework_tax_s", "bound", "kernels", "ops"})
    CHECK(j[0].contains(key));
  CHECK(j[0]["batch"] == 1);
  CHECK(j[2]["batch"] == 4);
  CHECK(j[0]["image"].is_null());
}

TEST_CASE("bad --batch values are input errors with exit status 2") {
  for (const char* bad : {"0", "-4", "abc", "1:", "4:1", "1,,2", "99999999999999999999"}) {
    CAPTURE(bad);
    Run r = run({"simulate", "--batch", bad});
    CHECK(r.status == 2);
    CHECK(r.err.find("fwtax: error: --batch") == 0);
  }
}

TEST_CASE("unknown names and flags say what is valid") {
  Run d = run({"simulate", "--device", "h1000"});
  CHECK(d.status == 2);
  CHECK(d.err.find("unknown device 'h1000'") != std::string::npos);
  Run m = run({"simulate", "--model", "bert-huge"});
  CHECK(m.status == 2);
  CHECK(m.err.find("built-in models are") != std::string::npos);
  Run f = run({"simulate", "--frobnicate"});
  CHECK(f.status == 2);
  CHECK(f.err.find("unknown option - valid options are --model") != std::string::npos);
  Run t = run({"simulate", "--dtype", "fp64"});
  CHECK(t.status == 2);
}

TEST_CASE("--timeline writes a Chrome trace with host and GPU events") {
  std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/fwtax_timeline.json";
  Run r = run({"simulate", "--model", "resnet50", "--timeline", path});
  REQUIRE(r.status == 0);
  Json j = Json::parse(read_file_text(path));
  REQUIRE(j.contains("traceEvents"));
  int host = 0, gpu = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] != "X") continue;
    (e["pid"] == 0 ? host : gpu)++;
  }
  CHECK(host > 100);
  CHECK(gpu > 200);
}

TEST_CASE("list prints one line per entry") {
  Run r = run({"list", "devices"});
  CHECK(r.status == 0);
  CHECK(r.out.find("h100") != std::string::npos);
  CHECK(run({"list", "gizmos"}).status == 2);
}

TEST_CASE("the binary exits 2 on bad input and names the file") {
  Run r = binary("simulate --device /nonexistent.json");
  CHECK(r.status == 2);
  CHECK(r.err == "fwtax: error: /nonexistent.json: cannot open the file for reading\n");
  CHECK(binary("simulate --batch 1:8").status == 0);
  CHECK(binary("").status == 2);
}

TEST_CASE(
    "validate --report writes the tables, the charts and the host-speed section of framework-bound runs") {
  std::string dir =
      std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/fwtax_cli_test_report";
  std::string runs = std::string(FWTAX_SOURCE_DIR) + "/data/measured/h100-2026-11-runs.json";
  Run r = run({"validate", "--measured", runs, "--device", "h100", "--quiet", "--report", dir});
  REQUIRE(r.status == 0);
  std::ifstream md_in(dir + "/report.md"), html_in(dir + "/report.html");
  std::stringstream md, html;
  md << md_in.rdbuf();
  html << html_in.rdbuf();
  CHECK(md.str().find("## Error by group") != std::string::npos);
  CHECK(md.str().find("## Host speed during the measurement") != std::string::npos);
  // The first run of the file (BERT-base eager fp32, batch 1: 7.53 ms measured) is framework-bound.
  CHECK(md.str().find("| 1 | bert-base | pytorch-eager | fp32 | 1 | seq 128 |") != std::string::npos);
  CHECK(html.str().find("Framework-bound runs: measured / predicted, in file order") != std::string::npos);
  CHECK(html.str().find("<svg") != std::string::npos);
}

TEST_CASE("--host names the host of every row, in simulate, project and validate") {
  Run s = run({"simulate", "--model", "bert-base", "--device", "h100", "--host", "paper-a100", "--format", "csv"});
  REQUIRE(s.status == 0);
  CHECK(s.out.rfind("model,device,host,framework,", 0) == 0);
  CHECK(s.out.find("bert-base,h100,paper-a100,pytorch-eager,") != std::string::npos);
  Run p = run({"project", "--model", "bert-base", "--devices", "h100", "--host", "h100-vm-a,paper-a100", "--batch", "1,2",
               "--format", "json"});
  REQUIRE(p.status == 0);
  Json rows = Json::parse(p.out);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0]["host"] == "h100-vm-a");
  CHECK(rows[2]["host"] == "paper-a100");
  CHECK(rows[2]["latency_s"].get<double>() > rows[0]["latency_s"].get<double>());  // the 2022 A100 machine is slower
  auto mape = [](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"validate", "--measured",
                                     std::string(FWTAX_SOURCE_DIR) + "/data/measured/h100-2026-11-runs.json",
                                     "--framework", "pytorch-eager", "--max-batch", "1", "--format", "json", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    Run v = run(args);
    REQUIRE(v.status == 0);
    return Json::parse(v.out)["mape_percent"].get<double>();
  };
  CHECK(mape({"--host", "h100-vm-a"}) == doctest::Approx(mape({})));  // the H100's own host
  CHECK(mape({"--host", "paper-a100"}) != doctest::Approx(mape({})));
}

TEST_CASE("a configuration that does not fit its device is flagged in every format and warned about once") {
  Run j = run({"simulate", "--model", "llama2-7b", "--device", "1080ti", "--dtype", "fp32", "--batch", "64", "--seq", "4096",
               "--format", "json"});
  REQUIRE(j.status == 0);
  Json rows = Json::parse(j.out);
  CHECK(rows[0]["fits"] == false);
  CHECK(rows[0]["memory_bytes"].get<double>() > 11e9);
  Run w = binary("simulate --model llama2-7b --device 1080ti --dtype fp32 --batch 32,64 --seq 4096");
  CHECK(w.status == 0);
  CHECK(w.err.find("warning: llama2-7b in fp32 at batch 32") != std::string::npos);
  CHECK(w.err.find("the 1080ti has 11.0 GB: it does not fit") != std::string::npos);
  CHECK(w.err.find("warning", w.err.find("warning") + 1) == std::string::npos);  // once per model, device, dtype
  Run t = run({"simulate", "--model", "llama2-7b", "--device", "1080ti", "--dtype", "fp32", "--batch", "64", "--seq", "4096"});
  CHECK(t.out.find("(does not fit)") != std::string::npos);
  Run c = run({"simulate", "--model", "llama2-7b", "--device", "1080ti", "--dtype", "fp32", "--batch", "64", "--seq", "4096",
               "--format", "csv"});
  CHECK(c.out.find(",false\n") != std::string::npos);
  Run g = run({"simulate", "--model", "gpt2", "--phase", "generate", "--seq", "32", "--new-tokens", "8", "--format", "json"});
  REQUIRE(g.status == 0);
  Json gen = Json::parse(g.out)[0];
  CHECK(gen["phase"] == "generate");
  CHECK(gen["ttft_s"].get<double>() > 0);
  CHECK(gen["tpot_s"].get<double>() > 0);
  CHECK(gen["context"].is_null());
}
