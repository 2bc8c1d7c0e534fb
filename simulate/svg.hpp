#pragma once
// Self-contained SVG charts for the HTML reports: line charts (log or linear axes), grouped bars and
// heat maps. No scripts, no external files: a report opens from disk in any browser.
#include <string>
#include <vector>

namespace fwtax::svg {

struct Series {
  std::string name;
  std::vector<double> x, y;  // points; NaN y values are gaps
  bool dashed = false;
};

struct LineChart {
  std::string title, x_label, y_label;
  bool log_x = true, log_y = true;
  std::vector<Series> series;
};
std::string render(const LineChart& c, int width = 640, int height = 380);

struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;
  std::vector<Series> series;  // y[i] belongs to categories[i]; x is unused
  bool log_y = false;
};
std::string render(const BarChart& c, int width = 640, int height = 360);

struct HeatMap {
  std::string title, x_label, y_label;
  std::vector<std::string> x_ticks, y_ticks;
  std::vector<std::vector<double>> values;  // [row = y][column = x], in [0, 1]
  std::string value_label;                  // shown in cells as a percentage
};
std::string render(const HeatMap& c, int width = 640, int height = 360);

// Escapes text for XML/HTML.
std::string escape(const std::string& s);

}  // namespace fwtax::svg
