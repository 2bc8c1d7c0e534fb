#pragma once
// A calibrated curve y(x), piecewise linear in log10(x) and clamped at both ends. Efficiency curves
// (fraction of peak as a function of kernel size) are of this form.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "model/json_spec.hpp"

namespace fwtax {

class Curve {
 public:
  Curve() = default;
  // Points need not be sorted; equal x are averaged.
  explicit Curve(std::vector<std::pair<double, double>> points);
  bool empty() const { return lx_.empty(); }
  double at(double x) const;
  // The same curve with its x axis stretched: at'(x) = at(x * factor).
  Curve scaled_x(double factor) const;
  std::vector<std::pair<double, double>> points() const;
  // The smallest point (x, y); {0, 0} when empty.
  std::pair<double, double> front() const;
  // The points as given (unsorted, repeats kept, x stretched by scaled_x): what a profile file holds,
  // so that a curve written back is the one read, digit for digit.
  const std::vector<std::pair<double, double>>& given() const { return given_; }

 private:
  std::vector<double> lx_, y_;
  std::vector<std::pair<double, double>> given_;
};

// The median of the values (the mean of the two middle ones for an even count); 0 when empty.
// The one median of fits, validation statistics and reports.
double median(std::vector<double> values);

// Reads [[x, y], ...] with x > 0 and y satisfying `y_rule`; at least one point.
Curve read_curve(const Json& value, const std::string& pointer, Diagnostics& diag, NumberRule y_rule);
Json curve_to_json(const Curve& c);

}  // namespace fwtax

namespace fwtax {

// Efficiency of matrix products as a function of their shape, from calibrated (m, n, k, efficiency)
// points. A skinny GEMM (m = 16) and a square one of the same FLOPs can differ 2-3x; a FLOPs-only
// curve cannot tell them apart. Points sharing a weight shape (n, k) form a sweep over m (batch times
// sequence), interpolated log-log in m; sweeps of other weight shapes are blended by inverse distance
// (power 4) in log2 (m, n, k), so an uncalibrated shape takes after its nearest calibrated ones.
// `hold_past_end`: past a sweep's largest m only n and k count, its end value holds (a GPU: the
// largest swept GEMMs fill it; a CPU's efficiency past its sweeps depends on caches, and its tables
// keep the blend). `extend_last_step` (with it): time (m over efficiency, for that n and k) goes on
// growing at the marginal rate between the sweep's last two points instead, each further row costing
// what one cost there: for a sweep that stopped where a fixed part of its kernels' time still showed
// (cuDNN's convolutions, swept to batch 32), which holding its last efficiency would charge every
// further row. A sweep that reached the sizes that fill the device (nn.Linear's, to 10-70 GFLOP) holds.
class ShapeEfficiency {
 public:
  ShapeEfficiency() = default;
  explicit ShapeEfficiency(const std::vector<std::array<double, 4>>& points);  // m, n, k, efficiency
  bool empty() const { return pts_.empty(); }
  double at(double m, double n, double k, bool hold_past_end = false, bool extend_last_step = false) const;
  // The same with m stretched like Curve::scaled_x: at'(m, n, k) = at(m * factor, n, k). A device
  // 1 / factor times faster needs 1 / factor times the rows to fill.
  ShapeEfficiency scaled_m(double factor) const;
  std::vector<std::array<double, 4>> points() const;
  // The points as given (m stretched by scaled_m), as Curve::given.
  const std::vector<std::array<double, 4>>& given() const { return given_; }

 private:
  struct Group {
    double ln, lk;                // log2 n, log2 k
    std::vector<double> lm, eff;  // log2 m ascending, efficiency
  };
  void build_groups();
  std::vector<std::array<double, 4>> pts_;  // log2 m, log2 n, log2 k, efficiency (as read)
  std::vector<Group> groups_;
  std::vector<std::array<double, 4>> given_;
};

ShapeEfficiency read_shape_efficiency(const Json& value, const std::string& pointer, Diagnostics& diag);
// The same lookup over [m, n, k, value] rows whose value is any positive quantity named `what` (a
// library's FLOPs per second by shape: FrameworkSpec::kernel_flops_per_s).
ShapeEfficiency read_shape_table(const Json& value, const std::string& pointer, Diagnostics& diag, std::string_view what,
                                 NumberRule rule);
Json shape_efficiency_to_json(const ShapeEfficiency& s);

}  // namespace fwtax
