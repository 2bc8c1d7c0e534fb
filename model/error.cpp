#include "model/error.hpp"

namespace fwtax {
namespace {

std::string join(const std::vector<Diagnostic>& d) {
  std::string out;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (i) out += '\n';
    out += d[i].str();
  }
  return out;
}

}  // namespace

std::string Diagnostic::str() const {
  std::string out = file;
  if (!where.empty()) out += (out.empty() ? "" : ": ") + where;
  if (!message.empty()) out += (out.empty() ? "" : ": ") + message;
  return out;
}

InputError::InputError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(join(diagnostics)), diagnostics_(std::move(diagnostics)) {}

InputError::InputError(std::string file, std::string where, std::string message)
    : InputError(std::vector<Diagnostic>{{std::move(file), std::move(where), std::move(message)}}) {}

void Diagnostics::add(std::string where, std::string message) {
  items_.push_back({file_, std::move(where), std::move(message)});
}

void Diagnostics::throw_if_any() const {
  if (!items_.empty()) throw InputError(items_);
}

}  // namespace fwtax
