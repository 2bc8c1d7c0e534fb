#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/commands.hpp"
#include "model/catalog.hpp"
#include "model/passes.hpp"
#include "model/json_spec.hpp"
#include "simulate/report.hpp"
#include "tests/test_util.hpp"

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
  std::string err_file = test::scratch("fwtax_cli_test.err").string();
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
  std::string path = test::scratch("fwtax_timeline.json").string();
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
  Run r = run({"list", "frameworks"});
  CHECK(r.status == 0);
  CHECK(r.out.find("cuda-graphs") != std::string::npos);
  CHECK(run({"list", "gizmos"}).status == 2);
  // Every registered workload pass, with the built-in frameworks that list it.
  Run p = run({"list", "passes"});
  CHECK(p.status == 0);
  for (const WorkloadPass& pass : workload_passes()) CHECK(p.out.find(std::string(pass.name) + " ") != std::string::npos);
  CHECK(p.out.find("[onnxruntime@1.12]") != std::string::npos);  // host_waits_on_fused_conv's only user
  CHECK(p.out.find("[torch-compile, torch-compile-reduce-overhead]") != std::string::npos);
}

// The cells of the table line that starts with `first` (split on runs of spaces), empty if none.
std::vector<std::string> table_row(const std::string& text, const std::string& first) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream cells(line);
    std::vector<std::string> row;
    for (std::string c; cells >> c;) row.push_back(c);
    if (!row.empty() && row[0] == first) return row;
  }
  return {};
}

TEST_CASE("list devices shows what tells devices apart: peaks, memory and host, from the profiles") {
  Run r = run({"list", "devices"});
  REQUIRE(r.status == 0);
  auto head = table_row(r.out, "device");
  REQUIRE(head.size() >= 11);
  CHECK(std::vector<std::string>(head.begin(), head.begin() + 11) ==
        std::vector<std::string>{"device", "kind", "cc", "fp32", "tf32", "fp16", "bf16", "TB/s", "GB", "host", "host"});
  // v100.json: compute capability 7.0, 15.7 TFLOP/s fp32, 125 fp16 tensor, no TF32 or bf16 tensor cores, 900 GB/s, 32 GB.
  // The host's speed is fitted (calibrate/derive/fit_paper_hosts.sh): the list shows the profile's value.
  const Json* host = fwtax::Catalog::builtin().builtin_json("hosts/paper-v100.json");
  REQUIRE(host != nullptr);
  char speed[16];
  std::snprintf(speed, sizeof speed, "%.2fx", (*host)["relative_time"].get<double>());
  auto v100 = table_row(r.out, "v100");
  REQUIRE(v100.size() >= 11);
  CHECK(std::vector<std::string>(v100.begin(), v100.begin() + 11) ==
        std::vector<std::string>{"v100", "gpu", "7.0", "15.7", "-", "125", "-", "0.90", "32", "paper-v100", speed});
  auto h100 = table_row(r.out, "h100");
  REQUIRE(h100.size() >= 10);
  CHECK(std::vector<std::string>(h100.begin() + 2, h100.begin() + 10) ==
        std::vector<std::string>{"9.0", "66.9", "495", "989", "989", "3.35", "80", "h100-vm-a"});
  CHECK(!table_row(r.out, "h200-calibrated").empty());  // every built-in device has a row
  // The GPUs that serve LLMs, from their datasheets: l4.json, 24 GB at 300 GB/s; rtx4090.json, fp16
  // tensor math with fp32 accumulate at half the fp16-accumulate rate.
  for (const char* name : {"a100-80gb", "h100-pcie", "l4", "l40s", "a10g", "rtx4090"}) CHECK(table_row(r.out, name).size() >= 9);
  auto l4 = table_row(r.out, "l4");
  REQUIRE(l4.size() >= 9);
  CHECK(std::vector<std::string>(l4.begin() + 7, l4.begin() + 9) == std::vector<std::string>{"0.30", "24"});
  auto ada = table_row(r.out, "rtx4090");
  REQUIRE(ada.size() >= 6);
  CHECK(ada[5] == "165");
  Run h = run({"list", "hosts"});
  auto paper = table_row(h.out, "paper-v100");
  REQUIRE(paper.size() >= 2);
  CHECK(paper[1] == speed);
  CHECK(h.out.find("fitted by fwtax calibrate --target host") != std::string::npos);  // its source
  // A host a calibrated device carries in its profile is listed too, with the device named.
  auto embedded = table_row(h.out, "h200-calibrated-host");
  REQUIRE(embedded.size() >= 2);
  CHECK(h.out.find("(in device h200-calibrated)") != std::string::npos);
  // Its Python module calls were measured apart from its ops (nn_linear_module): their own column.
  REQUIRE(embedded.size() >= 3);
  CHECK(embedded[2] == fwtax::format_number("%.2fx", fwtax::Catalog::builtin()
                                                  .host_of(fwtax::Catalog::builtin().device("h200-calibrated"))
                                                  .python_relative_time));
  CHECK(table_row(h.out, "h100-vm-a")[2] == "-");
}

TEST_CASE("bf16 on a GPU without bf16 tensor cores predicts with a warning on stderr, once") {
  Run r = binary("simulate --model bert-base --device v100 --dtype bf16 --batch 1,64");
  CHECK(r.status == 0);
  CHECK(r.err.rfind("fwtax: warning: v100 has no bf16 tensor cores", 0) == 0);
  CHECK(r.err.find("fp32 arithmetic") != std::string::npos);
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(binary("simulate --model bert-base --device v100 --dtype fp16").err.empty());
  CHECK(binary("simulate --model bert-base --device h100 --dtype bf16").err.empty());
}

TEST_CASE("a row says whether its size is a sequence length or an image size") {
  Run t = run({"simulate", "--model", "bert-base,resnet18"});
  REQUIRE(t.status == 0);
  auto head = table_row(t.out, "model");
  REQUIRE(head.size() > 6);
  CHECK(head[6] == "input");
  CHECK(t.out.find(" seq 128 ") != std::string::npos);
  CHECK(t.out.find(" image 224 ") != std::string::npos);
  // CSV leaves the size that does not apply empty; JSON writes null.
  Run c = run({"simulate", "--model", "bert-base,resnet18", "--format", "csv"});
  REQUIRE(c.status == 0);
  CHECK(c.out.find("\nbert-base,h100,h100-vm-a,pytorch-eager,fp32,1,128,,") != std::string::npos);
  CHECK(c.out.find("\nresnet18,h100,h100-vm-a,pytorch-eager,fp32,1,,224,") != std::string::npos);
  Run j = run({"simulate", "--model", "bert-base,resnet18", "--format", "json"});
  Json rows = Json::parse(j.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["seq"] == 128);
  CHECK(rows[0]["image"].is_null());
  CHECK(rows[1]["seq"].is_null());
  CHECK(rows[1]["image"] == 224);
  // validate --format json writes its runs the same way.
  std::string runs = std::string(FWTAX_SOURCE_DIR) + "/data/measured/h200-2026-11/runs.json";
  Run v = run({"validate", "--measured", runs, "--device", "h200-calibrated", "--model", "resnet50", "--max-batch", "1",
               "--quiet", "--format", "json"});
  Json first = Json::parse(v.out)["runs"][0];
  CHECK(first["seq"].is_null());
  CHECK(first["image"] == 224);
}

TEST_CASE("A:B ranges double from A and must land on B; --help says so") {
  auto batches = [](const char* list) {
    Run r = run({"simulate", "--batch", list, "--format", "json"});
    std::vector<long long> b;
    if (r.status == 0)
      for (const auto& row : Json::parse(r.out)) b.push_back(row["batch"].get<long long>());
    return b;
  };
  CHECK(batches("1:256").size() == 9);
  CHECK(batches("3:12") == std::vector<long long>{3, 6, 12});
  CHECK(batches("5:5") == std::vector<long long>{5});
  CHECK(batches("1:4,12") == std::vector<long long>{1, 2, 4, 12});
  Run bad = run({"simulate", "--batch", "3:9"});
  CHECK(bad.status == 2);
  CHECK(bad.err == "fwtax: error: --batch: range \"3:9\" doubles from 3 and never lands on 9; A:B means A, 2A, 4A, "
                   "... up to B, so B must be A times a power of two (3:6 or 3:12), or list the values with commas\n");
  for (std::string command : {"simulate", "project"}) {
    CAPTURE(command);
    Run h = run({command, "--help"});
    CHECK(h.status == 0);
    CHECK(h.out.find("range A:B, meaning A, 2A, 4A, ... up to B; B must be A times a power of two") != std::string::npos);
  }
}

TEST_CASE("--timeline with several configurations holds one host and one GPU process per configuration") {
  std::string path = test::scratch("fwtax_timelines.json").string();
  Run r = run({"simulate", "--model", "bert-base,resnet18", "--framework", "pytorch-eager,cuda-graphs", "--batch", "1,8",
               "--timeline", path});
  REQUIRE(r.status == 0);
  Json j = Json::parse(read_file_text(path));
  const Json& configs = j["otherData"]["configurations"];
  REQUIRE(configs.size() == 8);
  CHECK(configs[0]["model"] == "bert-base");
  CHECK(configs[7]["model"] == "resnet18");
  CHECK(configs[7]["framework"] == "cuda-graphs");
  CHECK(configs[7]["batch"] == 8);
  std::map<int, int> events;  // per process
  std::map<int, std::string> names;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X") events[e["pid"].get<int>()]++;
    if (e["ph"] == "M" && e["name"] == "process_name") names[e["pid"].get<int>()] = e["args"]["name"];
  }
  CHECK(events.size() == 16);
  CHECK(names[14] == "resnet18 fp32 batch 8 image 224 on h100, cuda-graphs: host (cuda-graphs)");
  CHECK(names[15] == "resnet18 fp32 batch 8 image 224 on h100, cuda-graphs: GPU stream (h100)");
  // Each configuration's timeline ends at its own latency.
  for (std::size_t i = 0; i < configs.size(); ++i) {
    double end_us = 0;
    for (const auto& e : j["traceEvents"])
      if (e["ph"] == "X" && e["pid"].get<std::size_t>() / 2 == i)
        end_us = std::max(end_us, e["ts"].get<double>() + e["dur"].get<double>());
    CHECK(end_us == doctest::Approx(configs[i]["latency_s"].get<double>() * 1e6).epsilon(0.01));
  }
}

TEST_CASE("validate's table shows whole device names, the host of each row and which size a run has") {
  std::string runs = std::string(FWTAX_SOURCE_DIR) + "/data/measured/h200-2026-11/runs.json";
  Run r = run({"validate", "--measured", runs, "--device", "h200-calibrated", "--model", "bert-base,resnet50",
               "--max-batch", "1", "--quiet"});
  REQUIRE(r.status == 0);
  auto head = table_row(r.out, "model");
  REQUIRE(head.size() > 6);
  CHECK(head[2] == "host");
  CHECK(head[6] == "input");
  CHECK(r.out.find("bert-base  h200-calibrated  h200-calibrated-host  pytorch-eager") != std::string::npos);
  CHECK(r.out.find(" seq 128 ") != std::string::npos);
  CHECK(r.out.find(" image 224 ") != std::string::npos);
  // A profile given by path is shown whole too.
  std::string profile = std::string(FWTAX_SOURCE_DIR) + "/data/devices/h200-calibrated.json";
  Run p = run({"validate", "--measured", runs, "--device", profile, "--model", "bert-base", "--max-batch", "1", "--quiet"});
  REQUIRE(p.status == 0);
  CHECK(p.out.find(" " + profile + " ") != std::string::npos);
}

TEST_CASE("a series that stays framework-bound says within which batches") {
  Run r = run({"simulate", "--model", "distilbert", "--device", "h100", "--dtype", "fp16", "--batch", "1,8"});
  REQUIRE(r.status == 0);
  CHECK(r.out.find("leaves the framework-bound regime at:") != std::string::npos);
  CHECK(r.out.find("distilbert h100 pytorch-eager fp16 seq 128: not within batch 1-8") != std::string::npos);
  Run wide = run({"simulate", "--model", "distilbert", "--device", "h100", "--dtype", "fp16", "--batch", "1:256"});
  REQUIRE(wide.status == 0);
  CHECK(wide.out.find("distilbert h100 pytorch-eager fp16 seq 128: batch ") != std::string::npos);
}

TEST_CASE("validate's table shows each run's 10-90% range and whether the measured time is inside it") {
  std::string runs = std::string(FWTAX_SOURCE_DIR) + "/data/measured/h200-2026-11/runs.json";
  std::vector<std::string> args = {"validate", "--measured", runs, "--device", "h200-calibrated", "--model",
                                   "resnet50,densenet121", "--quiet"};
  Run r = run(args);
  REQUIRE(r.status == 0);
  auto head = table_row(r.out, "model");
  REQUIRE(head.size() > 12);
  CHECK(head[9] == "10-90%");
  CHECK(head[11] == "inside");
  args.insert(args.end(), {"--format", "json"});
  Run j = run(args);
  REQUIRE(j.status == 0);
  Json summary = Json::parse(j.out);
  // Rows in the JSON's order; each table row: model device host framework dtype batch input(2) measured ms
  // predicted ms low - high ms inside error regime.
  std::istringstream lines(r.out);
  std::size_t i = 0, inside = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream cells(line);
    std::vector<std::string> row;
    for (std::string c; cells >> c;) row.push_back(c);
    if (row.size() != 19 || (row[0] != "resnet50" && row[0] != "densenet121")) continue;
    REQUIRE(i < summary["runs"].size());
    const Json& x = summary["runs"][i++];
    CAPTURE(line);
    CHECK(row[0] == x["model"].get<std::string>());
    const double measured = std::stod(row[8]), low = std::stod(row[12]), high = std::stod(row[14]);
    CHECK(low == doctest::Approx(x["predicted_low_s"].get<double>() * 1e3).epsilon(1e-3));
    CHECK(high == doctest::Approx(x["predicted_high_s"].get<double>() * 1e3).epsilon(1e-3));
    CHECK(low < high);
    // Outside, the side it left by, from the unrounded times (a run printed equal to an end is still out).
    const double m_s = x["measured_s"].get<double>();
    CHECK(row[16] == (x["inside_range"].get<bool>() ? "yes"
                      : m_s < x["predicted_low_s"].get<double>() ? "below"
                                                                 : "above"));
    CHECK(x["range_side"].get<std::string>() == (row[16] == "yes" ? "inside" : row[16]));
    if (measured < low) CHECK(row[16] == "below");
    if (measured > high) CHECK(row[16] == "above");
    CHECK(x["inside_range"].get<bool>() == (row[16] == "yes"));
    CHECK(std::fabs(x["error_percent"].get<double>() - std::stod(row[17])) <= 0.051);  // printed to 0.1
    inside += row[16] == "yes";
  }
  REQUIRE(i == summary["runs"].size());
  CHECK(100.0 * static_cast<double>(inside) / static_cast<double>(i) ==
        doctest::Approx(summary["coverage_percent"]["all"].get<double>()));
}

TEST_CASE("validate warns when --host was fitted to another device's runs, and only then") {
  // The file calibrate --target host writes records the device of its runs (fit.device).
  Json h = *Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  h["name"] = "fitted-on-h100";
  h["fit"] = {{"device", "h100"}, {"models", "bert-base"}};
  const std::string file = test::scratch("fwtax_fitted_host").string() + ".json";
  std::ofstream(file) << h.dump();
  const std::string dir = std::string(FWTAX_SOURCE_DIR) + "/data/measured/";
  Run other = run({"validate", "--measured", dir + "h200-2026-11/runs.json", "--device", "h200-calibrated", "--model",
                   "bert-base", "--host", file});
  REQUIRE(other.status == 0);
  CHECK(other.err.find("was fitted to runs on h100 (its fit.device) and is given for runs on h200-calibrated") !=
        std::string::npos);
  Run same = run({"validate", "--measured", dir + "h100-2026-11-runs.json", "--model", "bert-base", "--host", file});
  REQUIRE(same.status == 0);
  CHECK(same.err.find("was fitted to runs on") == std::string::npos);
  std::filesystem::remove(file);
}

TEST_CASE("a host file named as a built-in host is named in a warning, unless it is that host") {
  Json h = *Catalog::builtin().builtin_json("hosts/h100-vm-a.json");
  const std::string file = test::scratch("fwtax_named_host").string() + ".json";
  std::ofstream(file) << h.dump();  // the built-in's own numbers: the same host
  CHECK(run({"simulate", "--model", "bert-base", "--host", file}).err.find("as a built-in host is named") == std::string::npos);
  h["relative_time"] = 3.0;
  std::ofstream(file) << h.dump();
  for (const std::string command : {"simulate", "project"}) {
    CAPTURE(command);
    Run r = run({command, "--model", "bert-base", "--host", file});
    REQUIRE(r.status == 0);
    CHECK(r.err.find("names its host 'h100-vm-a', as a built-in host is named") != std::string::npos);
  }
  std::filesystem::remove(file);
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
  std::string dir = test::scratch("fwtax_cli_test_report").string();
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

TEST_CASE("a config.json runs in its torch_dtype unless --dtype is given, which wins with a warning") {
  std::string path = test::scratch("fwtax_cli_bf16.json").string();
  {
    std::ofstream f(path);
    f << R"({"model_type": "llama", "hidden_size": 256, "num_hidden_layers": 2, "num_attention_heads": 4,
             "intermediate_size": 512, "vocab_size": 1000, "torch_dtype": "bfloat16"})";
  }
  Run own = run({"simulate", "--model", path + ",gpt2", "--seq", "16", "--format", "json"});
  REQUIRE(own.status == 0);
  Json j = Json::parse(own.out);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["dtype"] == "bf16");
  CHECK(j[1]["dtype"] == "fp32");  // a built-in says no dtype: fp32
  CHECK(own.err.empty());
  Run given = run({"simulate", "--model", path, "--seq", "16", "--dtype", "fp32", "--format", "json"});
  REQUIRE(given.status == 0);
  CHECK(Json::parse(given.out)[0]["dtype"] == "fp32");
  CHECK(given.err.rfind("fwtax: warning: ", 0) == 0);
  CHECK(given.err.find("is stored in bf16 (its config.json's dtype)") != std::string::npos);
  // Scaled wider by project, it is still stored in bf16.
  Run wider = run({"project", "--model", path, "--seq", "16", "--batch", "1", "--width-x", "1,2", "--format", "json"});
  REQUIRE(wider.status == 0);
  Json w = Json::parse(wider.out);
  REQUIRE(w.size() == 2);
  for (const auto& r : w) CHECK(r["dtype"] == "bf16");
  std::remove(path.c_str());
}

TEST_CASE("a trace takes --dtype when it names the trace's own dtype, as a matrix script passes it") {
  const std::string trace = std::string(FWTAX_SOURCE_DIR) + "/data/traces/h100-2026-11/bert-base_fp16_bs1.json.gz";
  Run plain = run({"simulate", "--trace", trace, "--format", "json"});
  Run same = run({"simulate", "--trace", trace, "--dtype", "fp16", "--format", "json"});
  REQUIRE(plain.status == 0);
  REQUIRE(same.status == 0);
  CHECK(Json::parse(same.out)[0]["dtype"] == "fp16");
  CHECK(Json::parse(same.out)[0]["latency_s"] == Json::parse(plain.out)[0]["latency_s"]);
  Run other = run({"simulate", "--trace", trace, "--dtype", "fp16,fp32"});
  CHECK(other.status == 2);
  CHECK(other.err.find("recorded in fp16") != std::string::npos);
}

TEST_CASE("project warns, as simulate does, where a device has no math for the dtype") {
  Run r = run({"project", "--model", "bert-base", "--device", "v100", "--dtype", "bf16", "--batch", "1"});
  REQUIRE(r.status == 0);
  CHECK(r.err.rfind("fwtax: warning: v100 has no bf16 tensor cores", 0) == 0);
}

TEST_CASE("validate says which filter entries match no run, and a --device of another GPU than the runs'") {
  const std::string runs = std::string(FWTAX_SOURCE_DIR) + "/data/measured/h200-2026-11/runs.json";
  Run typo = run({"validate", "--measured", runs, "--model", "bert-base,nope", "--framework", "pytorch-eager,torch-compile",
                  "--quiet"});
  REQUIRE(typo.status == 0);
  CHECK(typo.err.find("--model nope: no run of it") != std::string::npos);
  CHECK(typo.err.find("--framework torch-compile: no run of it") != std::string::npos);
  CHECK(typo.err.find("--model bert-base:") == std::string::npos);
  Run other = run({"validate", "--measured", runs, "--device", "1080ti", "--model", "resnet50"});
  REQUIRE(other.status == 0);
  CHECK(other.err.find("measured on NVIDIA H200 (env.gpu), and --device 1080ti predicts them on another GPU") !=
        std::string::npos);
  Run same = run({"validate", "--measured", runs, "--device", "h200-calibrated", "--model", "resnet50"});
  REQUIRE(same.status == 0);
  CHECK(same.err.find("another GPU") == std::string::npos);
  Run cpu = run({"validate", "--measured", runs, "--device",
                 std::string(FWTAX_SOURCE_DIR) + "/data/traces/cpu-2026-12/cpu-profile.json", "--model", "resnet50"});
  REQUIRE(cpu.status == 0);
  CHECK(cpu.err.find("is a CPU profile: they are predicted on that CPU") != std::string::npos);
}

TEST_CASE("a compiled mode's rows say how many guards a call evaluates and what they cost") {
  Run j = run({"simulate", "--model", "bert-base", "--framework", "torch-compile,pytorch-eager", "--format", "json"});
  REQUIRE(j.status == 0);
  Json rows = Json::parse(j.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["guards"].get<double>() > 1000);
  CHECK(rows[0]["guards"].is_number_integer());  // a count: about so many guards
  CHECK(rows[0]["guard_s"].get<double>() > 0);
  CHECK(rows[0]["guard_s"].get<double>() < rows[0]["host_busy_s"].get<double>());
  CHECK(rows[1]["guards"].get<double>() == 0);
  Run b = run({"simulate", "--model", "bert-base", "--framework", "torch-compile-reduce-overhead", "--breakdown"});
  REQUIRE(b.status == 0);
  CHECK(b.out.find("each call first evaluates about") != std::string::npos);
  CHECK(b.out.find("with the compiled call's own") != std::string::npos);  // what the call row holds besides
  // Its graph runs the modules' ops without calling them from Python: their calls show "-", not 0.
  CHECK(b.out.find("calls -: the ops ran without a Python call of the module") != std::string::npos);
  auto self = table_row(b.out, "layer.attention.self");
  REQUIRE(self.size() > 2);
  CHECK(self[1] == "-");
  Run e = run({"simulate", "--model", "bert-base", "--framework", "pytorch-eager", "--breakdown"});
  REQUIRE(e.status == 0);
  CHECK(e.out.find("calls -:") == std::string::npos);
  auto eager_self = table_row(e.out, "layer.attention.self");
  REQUIRE(eager_self.size() > 2);
  CHECK(eager_self[1] == "12");
}
