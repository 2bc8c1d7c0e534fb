#pragma once
// A self-contained HTML page for reports: headings, text, tables and inline SVG figures, with a
// small inline script that records how many figures rendered (the report tests read it back).
#include <string>
#include <vector>

namespace fwtax {

class HtmlPage {
 public:
  explicit HtmlPage(std::string title);
  void heading(int level, const std::string& text);
  void paragraph(const std::string& text);  // escaped
  void raw(const std::string& html);        // trusted HTML from fwtax itself
  void figure(const std::string& svg, const std::string& caption);
  void table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
  std::string str() const;

 private:
  std::string title_, body_;
};

}  // namespace fwtax
