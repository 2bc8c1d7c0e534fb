#include "model/dtype.hpp"

#include <array>

namespace fwtax {
namespace {
constexpr std::array<std::string_view, 6> kDTypeNames = {"fp32", "fp16", "bf16", "int8", "int64", "bool"};
constexpr std::array<double, 6> kDTypeBytes = {4, 2, 2, 1, 8, 1};
constexpr std::array<std::string_view, kMathCount> kMathNames = {
    "fp32_simt", "fp16_simt", "bf16_simt", "tf32_tensor", "fp16_tensor", "bf16_tensor", "int8_tensor"};
}  // namespace

double bytes_per_element(DType t) { return kDTypeBytes[static_cast<int>(t)]; }
std::string_view dtype_name(DType t) { return kDTypeNames[static_cast<int>(t)]; }

std::optional<DType> parse_dtype(std::string_view s) {
  for (std::size_t i = 0; i < kDTypeNames.size(); ++i)
    if (kDTypeNames[i] == s) return static_cast<DType>(i);
  if (s == "float32" || s == "float") return DType::fp32;
  if (s == "float16" || s == "half") return DType::fp16;
  if (s == "bfloat16") return DType::bf16;
  return std::nullopt;
}

bool is_model_dtype(DType t) { return t == DType::fp32 || t == DType::fp16 || t == DType::bf16; }

std::string_view math_name(Math m) { return kMathNames[static_cast<int>(m)]; }

std::optional<Math> parse_math(std::string_view s) {
  for (int i = 0; i < kMathCount; ++i)
    if (kMathNames[i] == s) return static_cast<Math>(i);
  return std::nullopt;
}

Math matmul_math(DType t, bool allow_tf32) {
  switch (t) {
    case DType::fp16: return Math::fp16_tensor;
    case DType::bf16: return Math::bf16_tensor;
    case DType::int8: return Math::int8_tensor;
    default: return allow_tf32 ? Math::tf32_tensor : Math::fp32_simt;
  }
}

Math vector_math(DType t) {
  switch (t) {
    case DType::fp16: return Math::fp16_simt;
    case DType::bf16: return Math::bf16_simt;
    default: return Math::fp32_simt;
  }
}

}  // namespace fwtax
