#include "simulate/html.hpp"

#include "simulate/svg.hpp"

namespace fwtax {

HtmlPage::HtmlPage(std::string title) : title_(std::move(title)) {}

void HtmlPage::heading(int level, const std::string& text) {
  std::string h = std::to_string(level);
  h.insert(h.begin(), 'h');
  body_ += "<" + h + ">" + svg::escape(text) + "</" + h + ">\n";
}

void HtmlPage::paragraph(const std::string& text) { body_ += "<p>" + svg::escape(text) + "</p>\n"; }

void HtmlPage::raw(const std::string& html) { body_ += html + "\n"; }

void HtmlPage::figure(const std::string& chart, const std::string& caption) {
  body_ += "<figure>" + chart + "<figcaption>" + svg::escape(caption) + "</figcaption></figure>\n";
}

void HtmlPage::table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  body_ += "<table><thead><tr>";
  for (const auto& h : header) body_ += "<th>" + svg::escape(h) + "</th>";
  body_ += "</tr></thead><tbody>";
  for (const auto& r : rows) {
    body_ += "<tr>";
    for (const auto& c : r) body_ += "<td>" + svg::escape(c) + "</td>";
    body_ += "</tr>";
  }
  body_ += "</tbody></table>\n";
}

std::string HtmlPage::str() const {
  return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + svg::escape(title_) +
         "</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
         "figure{display:inline-block;margin:0.5em 1em 1em 0;vertical-align:top}figcaption{font-size:0.85em;color:#555;"
         "max-width:640px}table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em}th,td{border:1px solid "
         "#ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
         "code{background:#f3f3f3;padding:1px 4px}</style></head>\n<body>\n<h1>" +
         svg::escape(title_) + "</h1>\n" + body_ +
         "<script>(function(){var n=0;document.querySelectorAll('svg.chart').forEach(function(s){var b=s.getBBox();"
         "if(b.width>0&&b.height>0)n++;});document.body.setAttribute('data-rendered-charts',String(n));})();</script>\n"
         "</body></html>\n";
}

}  // namespace fwtax
