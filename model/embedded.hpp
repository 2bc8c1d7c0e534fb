#pragma once
// Built-in data files (data/), embedded into the binary at build time by cmake/EmbedData.cmake.
#include <cstddef>
#include <string_view>

namespace fwtax {

struct EmbeddedFile {
  const char* path;  // relative to data/, e.g. "devices/h100.json"
  const char* data;
  std::size_t size;
  std::string_view text() const { return {data, size}; }
};

const EmbeddedFile* embedded_files(std::size_t* count);

}  // namespace fwtax
