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
         "#ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left;white-space:nowrap}"
         "code{background:#f3f3f3;padding:1px 4px}</style></head>\n<body>\n<h1>" +
         svg::escape(title_) + "</h1>\n" + body_ +
         // The page checks itself as laid out: charts with a non-empty box, labels that overlap other labels
         // (rotated ones left out: their boxes are not their shapes) and labels cut off by their chart's edge.
         "<script>(function(){var n=0,o=0,c=0;document.querySelectorAll('svg.chart').forEach(function(s){var b=s.getBBox();"
         "if(b.width>0&&b.height>0)n++;var r=s.getBoundingClientRect(),t=[];s.querySelectorAll('text').forEach("
         "function(e){var a=e.getBoundingClientRect();if(a.left<r.left-1||a.right>r.right+1||a.top<r.top-1||"
         "a.bottom>r.bottom+1)c++;if(!e.hasAttribute('transform'))t.push(a);});for(var i=0;i<t.length;i++)"
         "for(var j=i+1;j<t.length;j++)if(t[i].left<t[j].right-1&&t[j].left<t[i].right-1&&t[i].top<t[j].bottom-1&&"
         "t[j].top<t[i].bottom-1)o++;});var d=document.body;d.setAttribute('data-rendered-charts',String(n));"
         "d.setAttribute('data-overlapping-labels',String(o));d.setAttribute('data-clipped-labels',String(c));})();"
         "</script>\n"
         "</body></html>\n";
}

}  // namespace fwtax
