#include "simulate/svg.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace fwtax::svg {
namespace {

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

// A tick label: 1, 2, 50, 0.5, 1.2k, 3M ...
std::string tick_label(double v) {
  char b[32];
  double a = std::fabs(v);
  if (a >= 1e6) std::snprintf(b, sizeof b, "%gM", v / 1e6);
  else if (a >= 1e4) std::snprintf(b, sizeof b, "%gk", v / 1e3);
  else std::snprintf(b, sizeof b, "%g", v);
  return b;
}

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double pixel_lo = 0, pixel_hi = 1;
  double map(double v) const {
    double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return pixel_lo + t * (pixel_hi - pixel_lo);
  }
  std::vector<double> ticks() const {
    std::vector<double> t;
    if (log) {
      double start = std::pow(10.0, std::floor(std::log10(lo)));
      for (double d = start; d <= hi * 1.0001; d *= 10)
        for (double m : {1.0, 2.0, 5.0})
          if (d * m >= lo * 0.9999 && d * m <= hi * 1.0001) t.push_back(d * m);
      if (t.size() > 12) {  // too dense: decades only
        std::vector<double> decades;
        for (double v : t)
          if (std::fabs(std::log10(v) - std::round(std::log10(v))) < 1e-9) decades.push_back(v);
        t = decades;
      }
    } else {
      double span = hi - lo, step = std::pow(10.0, std::floor(std::log10(span / 5)));
      if (span / step > 10) step *= 2;
      if (span / step > 10) step *= 2.5;
      for (double v = std::ceil(lo / step) * step; v <= hi + step * 1e-6; v += step) t.push_back(v);
    }
    return t;
  }
};

Axis fit(std::vector<double> v, bool log, double p0, double p1) {
  Axis a;
  a.log = log;
  a.pixel_lo = p0;
  a.pixel_hi = p1;
  std::erase_if(v, [&](double x) { return !std::isfinite(x) || (log && x <= 0); });
  if (v.empty()) v = {1, 10};
  auto [mn, mx] = std::minmax_element(v.begin(), v.end());
  a.lo = *mn;
  a.hi = *mx;
  if (log) {
    if (a.hi <= a.lo) a.hi = a.lo * 10;
    a.lo = std::pow(10.0, std::floor(std::log10(a.lo) * 4) / 4);
    a.hi = std::pow(10.0, std::ceil(std::log10(a.hi) * 4) / 4);
  } else {
    if (a.lo > 0) a.lo = 0;
    if (a.hi <= a.lo) a.hi = a.lo + 1;
    a.hi *= 1.05;
  }
  return a;
}

std::string frame(int w, int h, const std::string& title, const std::string& body) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" + std::to_string(w) + "\" height=\"" +
         std::to_string(h) + "\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
         "\" font-family=\"sans-serif\" font-size=\"12\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>"
         "<text x=\"" + std::to_string(w / 2) + "\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">" +
         escape(title) + "</text>" + body + "</svg>";
}

// Width the legend needs right of the plot: its line, a gap and the longest name (about 6.8 px a
// character at 12 px sans-serif), at least 170 px.
double legend_width(const std::vector<Series>& series) {
  std::size_t longest = 0;
  for (const auto& s : series) longest = std::max(longest, s.name.size());
  return std::max(170.0, 24.0 + 6.8 * static_cast<double>(longest) + 8.0);
}

std::string legend(const std::vector<std::string>& names, const std::vector<bool>& dashed, double x, double y) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    double yy = y + 16.0 * static_cast<double>(i);
    std::string color = kPalette[i % 10];
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(yy) + "\" x2=\"" + num(x + 18) + "\" y2=\"" + num(yy) +
         "\" stroke=\"" + color + "\" stroke-width=\"2.5\"" + (dashed[i] ? " stroke-dasharray=\"5,3\"" : "") + "/>";
    s += "<text x=\"" + num(x + 24) + "\" y=\"" + num(yy + 4) + "\">" + escape(names[i]) + "</text>";
  }
  return s;
}

std::string axes(const Axis& xa, const Axis& ya, const std::string& xl, const std::string& yl, double top, double bottom,
                 double left, double right) {
  std::string s;
  for (double t : ya.ticks()) {
    double y = ya.map(t);
    s += "<line x1=\"" + num(left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(right) + "\" y2=\"" + num(y) +
         "\" stroke=\"#e5e5e5\"/><text x=\"" + num(left - 6) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" +
         tick_label(t) + "</text>";
  }
  double label_end = -INFINITY;  // right end of the last x label drawn: a label that would overlap it is left out
  for (double t : xa.ticks()) {
    double x = xa.map(t);
    std::string label = tick_label(t);
    double half = 3.4 * static_cast<double>(label.size());
    s += "<line x1=\"" + num(x) + "\" y1=\"" + num(top) + "\" x2=\"" + num(x) + "\" y2=\"" + num(bottom) +
         "\" stroke=\"#f0f0f0\"/>";
    if (x - half < label_end + 4) continue;
    s += "<text x=\"" + num(x) + "\" y=\"" + num(bottom + 16) + "\" text-anchor=\"middle\">" + label + "</text>";
    label_end = x + half;
  }
  s += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(right - left) + "\" height=\"" +
       num(bottom - top) + "\" fill=\"none\" stroke=\"#888\"/>";
  s += "<text x=\"" + num((left + right) / 2) + "\" y=\"" + num(bottom + 34) + "\" text-anchor=\"middle\">" + escape(xl) +
       "</text>";
  s += "<text transform=\"translate(14," + num((top + bottom) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
       escape(yl) + "</text>";
  return s;
}

}  // namespace

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string render(const LineChart& c, int w, int h) {
  double left = 62, right = w - legend_width(c.series), top = 30, bottom = h - 46;
  std::vector<double> xs, ys;
  for (const auto& s : c.series) {
    xs.insert(xs.end(), s.x.begin(), s.x.end());
    ys.insert(ys.end(), s.y.begin(), s.y.end());
  }
  Axis xa = fit(xs, c.log_x, left, right), ya = fit(ys, c.log_y, bottom, top);
  std::string body = axes(xa, ya, c.x_label, c.y_label, top, bottom, left, right);
  std::vector<std::string> names;
  std::vector<bool> dashed;
  for (std::size_t i = 0; i < c.series.size(); ++i) {
    const Series& s = c.series[i];
    std::string color = kPalette[i % 10], path;
    bool pen = false;
    for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      bool ok = std::isfinite(s.y[k]) && std::isfinite(s.x[k]) && (!c.log_y || s.y[k] > 0) && (!c.log_x || s.x[k] > 0);
      if (!ok) {
        pen = false;
        continue;
      }
      path += (pen ? " L" : " M") + num(xa.map(s.x[k])) + "," + num(ya.map(s.y[k]));
      pen = true;
      body += "<circle cx=\"" + num(xa.map(s.x[k])) + "\" cy=\"" + num(ya.map(s.y[k])) + "\" r=\"2.5\" fill=\"" + color +
              "\"><title>" + escape(s.name) + ": " + tick_label(s.x[k]) + ", " + tick_label(s.y[k]) + "</title></circle>";
    }
    body += "<path d=\"" + path + "\" fill=\"none\" stroke=\"" + color + "\" stroke-width=\"2\"" +
            (s.dashed ? " stroke-dasharray=\"5,3\"" : "") + "/>";
    names.push_back(s.name);
    dashed.push_back(s.dashed);
  }
  body += legend(names, dashed, right + 14, top + 8);
  return frame(w, h, c.title, body);
}

std::string render(const BarChart& c, int w, int h) {
  double left = 62, right = w - legend_width(c.series), top = 30, bottom = h - 60;
  // Category labels wider than their group are drawn at 40 degrees, with room below for them.
  std::size_t longest = 0;
  for (const auto& t : c.categories) longest = std::max(longest, t.size());
  const double label_px = 6.8 * static_cast<double>(longest);
  const bool slanted = label_px > (right - left) / static_cast<double>(std::max<std::size_t>(1, c.categories.size()));
  if (slanted) bottom = h - 20 - std::min(0.4 * h, 0.64 * label_px + 16);
  std::vector<double> ys;
  for (const auto& s : c.series) ys.insert(ys.end(), s.y.begin(), s.y.end());
  Axis ya = fit(ys, c.log_y, bottom, top);
  if (c.log_y) {  // leave room below the smallest bar so that it shows
    double mn = INFINITY;
    for (double y : ys)
      if (std::isfinite(y) && y > 0) mn = std::min(mn, y);
    if (std::isfinite(mn)) ya.lo = std::min(ya.lo, mn / 2);
  }
  std::string body;
  for (double t : ya.ticks()) {
    double y = ya.map(t);
    body += "<line x1=\"" + num(left) + "\" y1=\"" + num(y) + "\" x2=\"" + num(right) + "\" y2=\"" + num(y) +
            "\" stroke=\"#e5e5e5\"/><text x=\"" + num(left - 6) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" +
            tick_label(t) + "</text>";
  }
  double n = static_cast<double>(std::max<std::size_t>(1, c.categories.size()));
  double group = (right - left) / n, bar = group * 0.8 / static_cast<double>(std::max<std::size_t>(1, c.series.size()));
  double base = c.log_y ? bottom : ya.map(0);
  for (std::size_t i = 0; i < c.categories.size(); ++i) {
    double gx = left + group * static_cast<double>(i) + group * 0.1;
    double cx = left + group * (static_cast<double>(i) + 0.5);
    if (slanted)
      body += "<text x=\"" + num(cx) + "\" y=\"" + num(bottom + 12) + "\" text-anchor=\"end\" transform=\"rotate(-40 " +
              num(cx) + " " + num(bottom + 12) + ")\">" + escape(c.categories[i]) + "</text>";
    else
      body += "<text x=\"" + num(cx) + "\" y=\"" + num(bottom + 16) + "\" text-anchor=\"middle\">" +
              escape(c.categories[i]) + "</text>";
    for (std::size_t k = 0; k < c.series.size(); ++k) {
      if (i >= c.series[k].y.size() || !std::isfinite(c.series[k].y[i])) continue;
      double y = ya.map(std::max(c.log_y ? ya.lo : 0.0, c.series[k].y[i]));
      body += "<rect x=\"" + num(gx + bar * static_cast<double>(k)) + "\" y=\"" + num(std::min(y, base)) +
              "\" width=\"" + num(bar * 0.95) + "\" height=\"" + num(std::fabs(base - y)) + "\" fill=\"" +
              kPalette[k % 10] + "\"><title>" + escape(c.series[k].name) + ", " + escape(c.categories[i]) + ": " +
              tick_label(c.series[k].y[i]) + "</title></rect>";
    }
  }
  body += "<rect x=\"" + num(left) + "\" y=\"" + num(top) + "\" width=\"" + num(right - left) + "\" height=\"" +
          num(bottom - top) + "\" fill=\"none\" stroke=\"#888\"/>";
  body += "<text transform=\"translate(14," + num((top + bottom) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
          escape(c.y_label) + "</text>";
  std::vector<std::string> names;
  std::vector<bool> dashed;
  for (const auto& s : c.series) {
    names.push_back(s.name);
    dashed.push_back(false);
  }
  body += legend(names, dashed, right + 14, top + 8);
  return frame(w, h, c.title, body);
}

std::string render(const HeatMap& c, int w, int h) {
  // Row labels right-aligned left of the cells: the margin fits the longest (about 6.8 px a character).
  std::size_t longest = 0;
  for (const auto& t : c.y_ticks) longest = std::max(longest, t.size());
  double left = std::min(0.5 * w, std::max(120.0, 6.8 * static_cast<double>(longest) + 16)), right = w - 20, top = 30,
         bottom = h - 50;
  std::size_t rows = c.values.size(), cols = rows ? c.values[0].size() : 0;
  std::string body;
  double cw = (right - left) / static_cast<double>(std::max<std::size_t>(1, cols));
  double ch = (bottom - top) / static_cast<double>(std::max<std::size_t>(1, rows));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t k = 0; k < cols && k < c.values[r].size(); ++k) {
      double v = std::clamp(c.values[r][k], 0.0, 1.0);
      int red = static_cast<int>(255 - 40 * v), green = static_cast<int>(255 - 200 * v), blue = static_cast<int>(255 - 220 * v);
      char color[16];
      std::snprintf(color, sizeof color, "#%02x%02x%02x", red, green, blue);
      double x = left + cw * static_cast<double>(k), y = top + ch * static_cast<double>(r);
      body += "<rect x=\"" + num(x) + "\" y=\"" + num(y) + "\" width=\"" + num(cw) + "\" height=\"" + num(ch) +
              "\" fill=\"" + color + "\" stroke=\"white\"/>";
      if (cw > 26 && ch > 14)
        body += "<text x=\"" + num(x + cw / 2) + "\" y=\"" + num(y + ch / 2 + 4) + "\" text-anchor=\"middle\" font-size=\"10\" fill=\"" +
                (v > 0.6 ? "white" : "black") + "\">" + std::to_string(static_cast<int>(std::round(100 * v))) + "</text>";
    }
  for (std::size_t k = 0; k < c.x_ticks.size(); ++k)
    body += "<text x=\"" + num(left + cw * (static_cast<double>(k) + 0.5)) + "\" y=\"" + num(bottom + 16) +
            "\" text-anchor=\"middle\">" + escape(c.x_ticks[k]) + "</text>";
  for (std::size_t r = 0; r < c.y_ticks.size(); ++r)
    body += "<text x=\"" + num(left - 6) + "\" y=\"" + num(top + ch * (static_cast<double>(r) + 0.5) + 4) +
            "\" text-anchor=\"end\">" + escape(c.y_ticks[r]) + "</text>";
  body += "<text x=\"" + num((left + right) / 2) + "\" y=\"" + num(bottom + 36) + "\" text-anchor=\"middle\">" +
          escape(c.x_label + (c.value_label.empty() ? "" : "; cells: " + c.value_label)) + "</text>";
  body += "<text transform=\"translate(14," + num((top + bottom) / 2) + ") rotate(-90)\" text-anchor=\"middle\">" +
          escape(c.y_label) + "</text>";
  return frame(w, h, c.title, body);
}

}  // namespace fwtax::svg
