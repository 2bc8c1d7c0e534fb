#pragma once
// Reading a Kineto trace file, plain or gzipped, as a stream (bounded memory for large traces).
#include <string>

#include "model/trace.hpp"

namespace fwtax {

Trace load_trace_file(const std::string& path);

}  // namespace fwtax
