#include "model/curve.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <tuple>

namespace fwtax {
namespace {

// log10 for positive normal doubles, accurate to about 1e-7: the exponent from the bits and a
// polynomial for the mantissa. Curve lookups sit in the simulator's inner loop, where std::log10
// was a third of the time per kernel; efficiencies need nowhere near full precision.
double fast_log10(double x) {
  std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  int exponent = static_cast<int>((bits >> 52) & 0x7ff) - 1023;
  if (exponent == -1023 || exponent == 1024) return std::log10(x);  // zero, subnormal, inf, nan
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);  // [1, 2)
  // log2(m) via log((1+t)/(1-t)) = 2 (t + t^3/3 + t^5/5 + ...), t = (m-1)/(m+1) in [0, 1/3)
  double t = (m - 1) / (m + 1), t2 = t * t;
  double log2m = 2.8853900817779268 * t * (1 + t2 * (1.0 / 3 + t2 * (1.0 / 5 + t2 * (1.0 / 7 + t2 * (1.0 / 9 + t2 / 11)))));
  return (exponent + log2m) * 0.30102999566398120;
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t n = v.size();
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2), v.end());
  const double upper = v[n / 2];
  if (n % 2) return upper;
  return 0.5 * (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n / 2)) + upper);
}

Curve::Curve(std::vector<std::pair<double, double>> points) : given_(points) {
  std::sort(points.begin(), points.end());
  for (std::size_t i = 0; i < points.size();) {
    std::size_t j = i;
    double sum = 0;
    while (j < points.size() && points[j].first == points[i].first) sum += points[j++].second;
    lx_.push_back(std::log10(points[i].first));
    y_.push_back(sum / static_cast<double>(j - i));
    i = j;
  }
}

double Curve::at(double x) const {
  if (lx_.empty()) return 1.0;
  if (!(x > 0)) return y_.front();
  double l = fast_log10(x);
  if (l <= lx_.front()) return y_.front();
  if (l >= lx_.back()) return y_.back();
  auto it = std::upper_bound(lx_.begin(), lx_.end(), l);
  std::size_t hi = static_cast<std::size_t>(it - lx_.begin()), lo = hi - 1;
  double t = (l - lx_[lo]) / (lx_[hi] - lx_[lo]);
  return y_[lo] + t * (y_[hi] - y_[lo]);
}

std::pair<double, double> Curve::front() const {
  if (lx_.empty()) return {0, 0};
  return {std::pow(10.0, lx_.front()), y_.front()};
}

Curve Curve::scaled_x(double factor) const {
  Curve c = *this;
  double shift = std::log10(factor);
  for (auto& l : c.lx_) l -= shift;
  for (auto& p : c.given_) p.first /= factor;
  return c;
}

std::vector<std::pair<double, double>> Curve::points() const {
  std::vector<std::pair<double, double>> p;
  for (std::size_t i = 0; i < lx_.size(); ++i) p.emplace_back(std::pow(10.0, lx_[i]), y_[i]);
  return p;
}

Curve read_curve(const Json& value, const std::string& pointer, Diagnostics& diag, NumberRule y_rule) {
  if (!value.is_array() || value.empty()) {
    diag.add(pointer, "expected a non-empty array of [size, value] pairs, got " + describe(value));
    return {};
  }
  std::vector<std::pair<double, double>> pts;
  bool good = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string p = pointer + "/" + std::to_string(i);
    const Json& e = value[i];
    if (!e.is_array() || e.size() != 2) {
      diag.add(p, "expected a [size, value] pair, got " + describe(e));
      good = false;
      continue;
    }
    double x = 0, y = 0;
    if (auto m = check_number(e[0], NumberRule::positive, &x); !m.empty()) {
      diag.add(p + "/0", m);
      good = false;
    }
    if (auto m = check_number(e[1], y_rule, &y); !m.empty()) {
      diag.add(p + "/1", m);
      good = false;
    }
    pts.emplace_back(x, y);
  }
  return good ? Curve(std::move(pts)) : Curve();
}

Json curve_to_json(const Curve& c) {
  Json a = Json::array();
  for (auto [x, y] : c.given()) a.push_back({x, y});
  return a;
}

}  // namespace fwtax

namespace fwtax {

ShapeEfficiency::ShapeEfficiency(const std::vector<std::array<double, 4>>& points) : given_(points) {
  for (const auto& p : points) pts_.push_back({std::log2(p[0]), std::log2(p[1]), std::log2(p[2]), p[3]});
  build_groups();
}

void ShapeEfficiency::build_groups() {
  // One group per weight shape (n, k); its points sorted by m, repeated m averaged.
  std::vector<std::array<double, 4>> sorted = pts_;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::tie(a[1], a[2], a[0]) < std::tie(b[1], b[2], b[0]);
  });
  groups_.clear();
  for (std::size_t i = 0; i < sorted.size();) {
    Group g{sorted[i][1], sorted[i][2], {}, {}};
    std::size_t j = i;
    while (j < sorted.size() && sorted[j][1] == g.ln && sorted[j][2] == g.lk) ++j;
    for (std::size_t a = i; a < j;) {
      std::size_t b = a;
      double sum = 0;
      while (b < j && sorted[b][0] == sorted[a][0]) sum += sorted[b++][3];
      g.lm.push_back(sorted[a][0]);
      g.eff.push_back(sum / static_cast<double>(b - a));
      a = b;
    }
    groups_.push_back(std::move(g));
    i = j;
  }
}

double ShapeEfficiency::at(double m, double n, double k, bool hold_past_end, bool extend_last_step) const {
  if (groups_.empty()) return 1.0;
  constexpr double kLog2Of10 = 3.3219280948873623;
  double lm = fast_log10(std::max(m, 1.0)) * kLog2Of10, ln = fast_log10(std::max(n, 1.0)) * kLog2Of10,
         lk = fast_log10(std::max(k, 1.0)) * kLog2Of10;
  double wsum = 0, vsum = 0;
  for (const auto& g : groups_) {
    // Within a group's range of m, log efficiency is linear in log m (exact while a GEMM is too small
    // to fill the device and takes constant time); outside it the nearest end holds, and the distance
    // past the end counts with the distance in n and k. With hold_past_end (a GPU, whose sweeps reach
    // GEMMs that fill it) the distance past the last m does not count: more rows keep the sweep's
    // efficiency (or follow its last step) rather than drifting towards other shapes' values.
    double v, dm = 0;
    std::size_t last = g.lm.size() - 1;
    if (lm <= g.lm[0]) {
      v = g.eff[0];
      dm = g.lm[0] - lm;
    } else if (lm >= g.lm[last]) {
      v = g.eff[last];
      if (!hold_past_end) dm = lm - g.lm[last];
      else if (extend_last_step && last > 0 && lm > g.lm[last]) {
        // Time grows at the marginal rate of the sweep's last two points (the class comment).
        const double m1 = std::exp2(g.lm[last - 1]), m2 = std::exp2(g.lm[last]), mq = std::exp2(lm);
        const double t1 = m1 / g.eff[last - 1], t2 = m2 / g.eff[last];
        const double slope = (t2 - t1) / (m2 - m1);
        if (slope > 0) v = std::min(1.0, mq / (t2 + (mq - m2) * slope));
      }
    } else {
      std::size_t i = static_cast<std::size_t>(std::upper_bound(g.lm.begin(), g.lm.end(), lm) - g.lm.begin());
      double w = (lm - g.lm[i - 1]) / (g.lm[i] - g.lm[i - 1]);
      v = std::exp(std::log(g.eff[i - 1]) + w * (std::log(g.eff[i]) - std::log(g.eff[i - 1])));
    }
    double dn = ln - g.ln, dk = lk - g.lk;
    double d2 = dm * dm + dn * dn + dk * dk;
    if (d2 < 1e-12) return v;
    double w = 1.0 / (d2 * d2);
    wsum += w;
    vsum += w * v;
  }
  return vsum / wsum;
}

ShapeEfficiency ShapeEfficiency::scaled_m(double factor) const {
  ShapeEfficiency s = *this;
  double shift = std::log2(factor);
  for (auto& p : s.pts_) p[0] -= shift;
  for (auto& g : s.groups_)
    for (auto& x : g.lm) x -= shift;
  for (auto& p : s.given_) p[0] /= factor;
  return s;
}

std::vector<std::array<double, 4>> ShapeEfficiency::points() const {
  std::vector<std::array<double, 4>> out;
  for (const auto& p : pts_) out.push_back({std::exp2(p[0]), std::exp2(p[1]), std::exp2(p[2]), p[3]});
  return out;
}

ShapeEfficiency read_shape_table(const Json& value, const std::string& pointer, Diagnostics& diag, std::string_view what,
                                 NumberRule rule) {
  const std::string row = "[m, n, k, " + std::string(what) + "]";
  if (!value.is_array() || value.empty()) {
    diag.add(pointer, "expected a non-empty array of " + row + ", got " + describe(value));
    return {};
  }
  std::vector<std::array<double, 4>> pts;
  bool good = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string p = pointer + "/" + std::to_string(i);
    const Json& e = value[i];
    if (!e.is_array() || e.size() != 4) {
      diag.add(p, "expected " + row + ", got " + describe(e));
      good = false;
      continue;
    }
    std::array<double, 4> v{};
    for (int j = 0; j < 4; ++j)
      if (auto m = check_number(e[static_cast<std::size_t>(j)], j < 3 ? NumberRule::at_least_one : rule, &v[static_cast<std::size_t>(j)]); !m.empty()) {
        diag.add(p + "/" + std::to_string(j), m);
        good = false;
      }
    pts.push_back(v);
  }
  return good ? ShapeEfficiency(pts) : ShapeEfficiency();
}

ShapeEfficiency read_shape_efficiency(const Json& value, const std::string& pointer, Diagnostics& diag) {
  return read_shape_table(value, pointer, diag, "efficiency", NumberRule::fraction);
}

Json shape_efficiency_to_json(const ShapeEfficiency& s) {
  Json a = Json::array();
  for (const auto& p : s.given()) a.push_back({p[0], p[1], p[2], p[3]});
  return a;
}

}  // namespace fwtax
