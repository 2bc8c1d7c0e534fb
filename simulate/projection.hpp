#pragma once
// What-if projections: faster or scaled GPUs, faster hosts, other GPU generations, wider or deeper
// models; for each scaling point the crossover batch where the framework tax stops dominating.
#include <string>
#include <vector>

#include "simulate/sweep.hpp"

namespace fwtax {

struct ProjectRequest {
  std::vector<std::string> models = {"bert-base"};
  std::vector<std::string> devices = {"h100"};
  std::vector<std::string> frameworks = {"pytorch-eager"};
  std::vector<DType> dtypes = {DType::fp32};
  bool dtype_from_config = false;  // as SweepRequest's
  std::vector<long long> batches;  // default 1:4096
  std::vector<long long> seqs, images;
  std::string phase = "forward";          // as SweepRequest's: decode's crossover is that of one step
  std::vector<long long> contexts = {0};  // decode: tokens already in the KV cache
  long long new_tokens = 0;               // generate
  std::vector<double> speedup = {1}, compute_x = {1}, bandwidth_x = {1}, host_x = {1}, width_x = {1}, depth_x = {1};
  std::vector<std::string> hosts = {""};  // hosts to run the devices on ("": each device's own)
  Measure measure = Measure::sync;
};

struct ProjectRow {
  ResultRow row;  // crossover_batch is per scaling point
  double speedup = 1, compute_x = 1, bandwidth_x = 1, host_x = 1, width_x = 1, depth_x = 1;
  bool host_given = false;  // the row's host was given (--host), not the device's own
};

// The knobs, as documented in docs/ARCHITECTURE.md:
// - speedup S: every GPU-side time S times shorter (peak FLOP/s and bandwidth times S; the minimum
//   kernel time, the gaps between kernels and the launch latencies on the GPU divided by S), as if
//   the whole chip ran S times faster; host-side costs (the CPU's launch calls) unchanged.
// - compute_x C: peak FLOP/s of every math unit times C; nothing else.
// - bandwidth_x B: memory bandwidth times B; nothing else.
DeviceSpec scale_device(const DeviceSpec& d, double speedup, double compute_x, double bandwidth_x);

std::vector<ProjectRow> run_projection(const ProjectRequest& q, const Catalog& catalog, SweepExtras* extras = nullptr);

Json project_row_to_json(const ProjectRow& r);
void write_project_table(std::ostream& out, const std::vector<ProjectRow>& rows);
void write_project_csv(std::ostream& out, const std::vector<ProjectRow>& rows);
// An HTML page with the projection's plots and tables.
std::string project_report_html(const ProjectRequest& q, const std::vector<ProjectRow>& rows);

}  // namespace fwtax
