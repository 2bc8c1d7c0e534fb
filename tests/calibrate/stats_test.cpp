#include <doctest/doctest.h>

#include "calibrate/stats.hpp"
#include "tests/test_util.hpp"

using namespace fwtax;

TEST_CASE("the median and its confidence interval come from the sorted samples") {
  std::vector<double> x;
  for (int i = 1; i <= 21; ++i) x.push_back(i);
  SampleStats s = summarize(x);
  CHECK(s.median == test::approx(11));
  CHECK(s.ci95_low < 11);
  CHECK(s.ci95_high > 11);
  CHECK(s.ci95_low >= 5);
  CHECK(s.ci95_high <= 17);
  CHECK(s.rejected == 0);
}

TEST_CASE("a far outlier is rejected and does not move the mean") {
  std::vector<double> x = {10, 10.1, 9.9, 10.05, 9.95, 10.02, 9.98, 500};
  SampleStats s = summarize(x);
  CHECK(s.rejected == 1);
  CHECK(s.mean == test::approx(10.0).epsilon(0.01));
  CHECK(s.mdape < kNoisyMdape);
}

TEST_CASE("a noisy series is flagged by its MdAPE") {
  SampleStats s = summarize({10, 13, 8, 12, 7, 11, 9});
  CHECK(s.mdape > kNoisyMdape);
}
