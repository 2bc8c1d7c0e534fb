// Projections: the paper's qualitative findings as properties of the model, and the report rendered
// in headless Chromium.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "simulate/projection.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

namespace {

// batch-1 row and crossover of each (framework, scaling point / device) series, in request order
struct Point {
  std::string framework, device;
  double speedup;
  double batch1_latency;
  std::optional<long long> crossover;
};

std::vector<Point> points(const std::vector<ProjectRow>& rows) {
  std::vector<Point> out;
  for (const auto& r : rows)
    if (r.row.batch == 1)
      out.push_back({r.row.framework, r.row.device, r.speedup, r.row.sim.latency_s, r.row.crossover_batch});
  return out;
}

}  // namespace

TEST_CASE("a faster GPU leaves eager batch-1 latency flat and pushes the crossover out; CUDA graphs gain") {
  ProjectRequest q;
  q.frameworks = {"pytorch-eager", "cuda-graphs"};
  q.speedup = {1, 2, 4, 8};
  auto p = points(run_projection(q, Catalog::builtin()));
  REQUIRE(p.size() == 8);
  std::vector<Point> eager, graphs;
  for (const auto& x : p) (x.framework == "pytorch-eager" ? eager : graphs).push_back(x);
  REQUIRE(eager.size() == 4);
  for (std::size_t i = 1; i < 4; ++i) {
    CHECK(std::fabs(eager[i].batch1_latency - eager[0].batch1_latency) / eager[0].batch1_latency < 0.20);
    REQUIRE(eager[i].crossover.has_value());
    CHECK(*eager[i].crossover >= *eager[i - 1].crossover);
    CHECK(graphs[i].batch1_latency < graphs[i - 1].batch1_latency);
  }
  CHECK(*eager[3].crossover > *eager[0].crossover);
  CHECK(graphs[3].batch1_latency < 0.2 * graphs[0].batch1_latency);
}

TEST_CASE("the plateau grows with GPU generations (paper: 1080 Ti leaves it at batch 2, A100 after 32)") {
  ProjectRequest q;
  q.devices = {"1080ti", "v100", "a100", "h100", "b200"};
  q.dtypes = {DType::fp16};
  auto p = points(run_projection(q, Catalog::builtin()));
  REQUIRE(p.size() == 5);
  std::vector<long long> cross;
  for (const auto& x : p) {
    REQUIRE(x.crossover.has_value());
    cross.push_back(*x.crossover);
  }
  CHECK(cross[0] <= 4);                    // 1080 Ti
  CHECK(cross[2] >= 16);                   // A100
  CHECK(cross[2] <= 64);
  for (std::size_t i = 1; i < cross.size(); ++i) CHECK(cross[i] >= cross[i - 1]);
  CHECK(cross[4] > cross[2]);              // projected forward
}

TEST_CASE("while framework-bound, a wider model costs no latency") {
  ProjectRequest q;
  q.dtypes = {DType::fp16};
  q.batches = {1};
  q.width_x = {1, 2};
  auto rows = run_projection(q, Catalog::builtin());
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].row.sim.flops > 3 * rows[0].row.sim.flops);
  CHECK(rows[1].row.sim.latency_s == test::approx(rows[0].row.sim.latency_s).epsilon(0.05));
}

TEST_CASE("scaling knobs touch only what they name") {
  DeviceSpec d = Catalog::builtin().device("h100");
  DeviceSpec c = scale_device(d, 1, 2, 1);
  CHECK(c.peak_flops_per_s[0] == test::approx(2 * d.peak_flops_per_s[0]));
  CHECK(c.memory_bandwidth_bytes_per_s == test::approx(d.memory_bandwidth_bytes_per_s));
  CHECK(c.kernel_min_s == test::approx(d.kernel_min_s));
  DeviceSpec s = scale_device(d, 4, 1, 1);
  CHECK(s.memory_bandwidth_bytes_per_s == test::approx(4 * d.memory_bandwidth_bytes_per_s));
  CHECK(s.kernel_min_s == test::approx(d.kernel_min_s / 4));
  CHECK(s.launch_host_s == test::approx(d.launch_host_s));
  // Element-bound kernels follow the SMs: compute and the whole GPU, not bandwidth.
  CHECK(c.strided_elements_per_s == test::approx(2 * d.strided_elements_per_s));
  CHECK(c.batch_norm.planes_per_s == test::approx(2 * d.batch_norm.planes_per_s));
  CHECK(s.batch_norm.elements_per_s == test::approx(4 * d.batch_norm.elements_per_s));
  CHECK(s.batch_norm.min_s == test::approx(d.batch_norm.min_s / 4));
  // One plane is one thread block: more SMs do not speed it up, a faster clock does.
  CHECK(c.batch_norm.plane_elements_per_s == test::approx(d.batch_norm.plane_elements_per_s));
  CHECK(s.batch_norm.plane_elements_per_s == test::approx(4 * d.batch_norm.plane_elements_per_s));
  DeviceSpec b = scale_device(d, 1, 1, 3);
  CHECK(b.strided_elements_per_s == test::approx(d.strided_elements_per_s));
  CHECK(b.batch_norm.plane_elements_per_s == test::approx(d.batch_norm.plane_elements_per_s));
  ProjectRequest q;
  q.speedup = {0};
  CHECK(!test::messages_of([&] { run_projection(q, Catalog::builtin()); }).empty());
}

TEST_CASE("the projection report renders in headless Chromium") {
  ProjectRequest q;
  q.devices = {"v100", "h100"};
  q.frameworks = {"pytorch-eager", "cuda-graphs"};
  q.batches = {1, 8, 64};
  std::string dir = test::scratch("fwtax_project_report").string();
  std::filesystem::create_directories(dir);
  std::string html = dir + "/index.html";
  {
    std::ofstream f(html);
    f << project_report_html(q, run_projection(q, Catalog::builtin()));
  }
  // The page's own script counts the charts that laid out with a non-empty box.
  CHECK(test::rendered_charts(html, dir) == 6);
}

TEST_CASE("a projection report of 60 series stays readable: small multiples, a table for the bars, no label "
          "overlapping or cut off in headless Chromium") {
  // fwtax project --model bert-base,resnet50 --devices 1080ti,v100,a100,h100,b200 --framework
  // pytorch-eager,cuda-graphs --dtype fp16 --speedup 1,2,4 --host-x 1,2 --report DIR
  ProjectRequest q;
  q.models = {"bert-base", "resnet50"};
  q.devices = {"1080ti", "v100", "a100", "h100", "b200"};
  q.frameworks = {"pytorch-eager", "cuda-graphs"};
  q.dtypes = {DType::fp16};
  q.speedup = {1, 2, 4};
  q.host_x = {1, 2};
  auto rows = run_projection(q, Catalog::builtin());
  std::string page = project_report_html(q, rows);
  std::string dir = test::scratch("fwtax_project_report_60").string();
  std::filesystem::create_directories(dir);
  std::string html = dir + "/index.html";
  std::ofstream(html) << page;
  // A line chart per framework and scaling point (2 x 2 models x 3 speed-ups x 2 hosts), each with a
  // line per device in its own colour; two heat maps; the batch-1 bars became a table.
  const int line_charts = 2 * 2 * 3 * 2;
  std::size_t charts = 0;
  for (std::size_t at = page.find("<svg"); at != std::string::npos; at = page.find("<svg", at + 1)) {
    ++charts;
    std::string chart = page.substr(at, page.find("</svg>", at) - at);
    std::size_t legend = 0;
    for (std::size_t k = chart.find("stroke-width=\"2.5\""); k != std::string::npos; k = chart.find("stroke-width=\"2.5\"", k + 1))
      ++legend;
    CHECK(legend <= 10);
  }
  CHECK(charts == line_charts + 2);
  CHECK(page.find("Batch-1 latency and crossover batch") != std::string::npos);
  CHECK(test::rendered_charts(html, dir) == line_charts + 2);
  CHECK(test::page_number(html, dir, "data-overlapping-labels") == 0);
  CHECK(test::page_number(html, dir, "data-clipped-labels") == 0);
}

TEST_CASE("project --phase decode: the crossover batch of one decode step, never at a batch that does not fit") {
  // llama2-7b on a 24 GB RTX 4090, 4095 cached tokens a sequence (2.1 GB of fp16 K and V each):
  // from batch 8 the cache and weights (13.5 GB) no longer fit. A GPU 4x faster is still host-bound
  // at batch 4, and becomes GPU-bound only where nothing fits.
  ProjectRequest q;
  q.models = {"llama2-7b"};
  q.devices = {"rtx4090"};
  q.dtypes = {DType::fp16};
  q.phase = "decode";
  q.contexts = {4095};
  q.batches = {1, 2, 4, 8, 16, 32, 64};
  q.speedup = {1, 4};
  auto rows = run_projection(q, Catalog::builtin());
  REQUIRE(rows.size() == 14);
  for (const auto& p : rows) {
    CAPTURE(p.speedup);
    CAPTURE(p.row.batch);
    CHECK(p.row.phase == "decode");
    CHECK(p.row.context == 4095);
    CHECK(p.row.fits == (p.row.batch < 8));
    if (p.row.crossover_batch) {  // the crossover is a batch of this series that fits and is not host-bound
      bool found = false;
      for (const auto& o : rows)
        if (o.speedup == p.speedup && o.row.batch == *p.row.crossover_batch) {
          found = true;
          CHECK(o.row.fits);
          CHECK(o.row.sim.bound != Regime::framework);
        }
      CHECK(found);
    }
  }
  // The real GPU leaves the host-bound regime at a batch that fits; the 4x one only past the memory.
  CHECK(rows[0].row.crossover_batch.has_value());
  const ProjectRow& fast_big = rows[7 + 6];
  CHECK(fast_big.speedup == 4);
  CHECK(fast_big.row.sim.bound != Regime::framework);
  CHECK_FALSE(fast_big.row.crossover_batch.has_value());
  std::ostringstream table;
  write_project_table(table, rows);
  CHECK(table.str().find("decode context 4095") != std::string::npos);
  CHECK(table.str().find("never (8+ do not fit)") != std::string::npos);
  // A context without decode is refused, as simulate refuses it.
  q.phase = "forward";
  CHECK_THROWS_AS(run_projection(q, Catalog::builtin()), InputError);
}
