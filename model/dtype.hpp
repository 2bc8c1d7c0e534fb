#pragma once
// Element types and the (type, math unit) pairs that a device's peak throughput is given for.
#include <cstdint>
#include <optional>
#include <string_view>

namespace fwtax {

enum class DType : std::uint8_t { fp32, fp16, bf16, int8, int64, boolean };

double bytes_per_element(DType t);
std::string_view dtype_name(DType t);
std::optional<DType> parse_dtype(std::string_view s);
// The dtypes a model may run in (--dtype).
bool is_model_dtype(DType t);

// Where the arithmetic of a kernel runs: the key into a device's peak table and efficiency curves.
enum class Math : std::uint8_t {
  fp32_simt,
  fp16_simt,
  bf16_simt,
  tf32_tensor,
  fp16_tensor,
  bf16_tensor,
  int8_tensor,
  count
};
constexpr int kMathCount = static_cast<int>(Math::count);
std::string_view math_name(Math m);
std::optional<Math> parse_math(std::string_view s);
// The math of a matrix product in dtype t: tensor cores for fp16/bf16, TF32 tensor cores for fp32
// when allowed, plain FP32 otherwise.
Math matmul_math(DType t, bool allow_tf32);
// The math of elementwise work in dtype t.
Math vector_math(DType t);

}  // namespace fwtax
