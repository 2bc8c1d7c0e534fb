#pragma once
// Measurement statistics: outlier rejection, median with a 95% confidence interval, and the noise
// figure (median absolute percentage deviation) used to warn about a noisy machine.
#include <vector>

namespace fwtax {

struct SampleStats {
  std::size_t samples = 0;    // after outlier rejection
  std::size_t rejected = 0;   // dropped as outliers
  double median = 0;
  double ci95_low = 0, ci95_high = 0;  // distribution-free CI of the median (order statistics)
  double mean = 0;
  double mdape = 0;           // median |x - median| / median
};

// Rejects samples further than 5 scaled MADs from the median, then summarizes. Needs >= 1 sample.
SampleStats summarize(std::vector<double> samples);

// The machine is too noisy for a figure when its MdAPE exceeds this.
constexpr double kNoisyMdape = 0.05;

}  // namespace fwtax
