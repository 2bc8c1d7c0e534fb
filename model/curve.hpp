#pragma once
// A calibrated curve y(x), piecewise linear in log10(x) and clamped at both ends. Efficiency curves
// (fraction of peak as a function of kernel size) are of this form.
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

 private:
  std::vector<double> lx_, y_;
};

// Reads [[x, y], ...] with x > 0 and y satisfying `y_rule`; at least one point.
Curve read_curve(const Json& value, const std::string& pointer, Diagnostics& diag, NumberRule y_rule);
Json curve_to_json(const Curve& c);

}  // namespace fwtax
