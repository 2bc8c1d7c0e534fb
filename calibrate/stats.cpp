#include "calibrate/stats.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/math/distributions/binomial.hpp>

namespace fwtax {
namespace {

double median_of_sorted(const std::vector<double>& v) {
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

SampleStats summarize(std::vector<double> x) {
  if (x.empty()) throw std::invalid_argument("summarize: no samples");
  std::sort(x.begin(), x.end());
  double med = median_of_sorted(x);
  std::vector<double> dev;
  dev.reserve(x.size());
  for (double v : x) dev.push_back(std::fabs(v - med));
  std::sort(dev.begin(), dev.end());
  double mad = 1.4826 * median_of_sorted(dev);
  SampleStats s;
  if (mad > 0) {
    std::vector<double> kept;
    for (double v : x)
      if (std::fabs(v - med) <= 5 * mad) kept.push_back(v);
    s.rejected = x.size() - kept.size();
    x = std::move(kept);
  }
  s.samples = x.size();
  s.median = median_of_sorted(x);
  double sum = 0;
  for (double v : x) sum += v;
  s.mean = sum / static_cast<double>(x.size());
  dev.clear();
  for (double v : x) dev.push_back(s.median != 0 ? std::fabs(v - s.median) / std::fabs(s.median) : 0);
  std::sort(dev.begin(), dev.end());
  s.mdape = median_of_sorted(dev);
  // CI of the median from the binomial(n, 1/2) distribution of the number of samples below it.
  std::size_t n = x.size();
  if (n >= 6) {
    boost::math::binomial_distribution<double> b(static_cast<double>(n), 0.5);
    auto lo = static_cast<std::size_t>(boost::math::quantile(b, 0.025));
    std::size_t hi = n - 1 - lo;
    lo = std::min(lo, n - 1);
    s.ci95_low = x[lo > 0 ? lo - 1 : 0];
    s.ci95_high = x[std::min(hi + 1, n - 1)];
  } else {
    s.ci95_low = x.front();
    s.ci95_high = x.back();
  }
  return s;
}

}  // namespace fwtax
