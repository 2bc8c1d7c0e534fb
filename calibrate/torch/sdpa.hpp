#pragma once
// Scaled dot-product attention across libtorch versions: 1.13 (Debian's) has only the private
// at::_scaled_dot_product_attention, returning (output, weights); 2.x has the public op.
#include <torch/torch.h>

namespace fwtax::probe {

inline at::Tensor sdpa(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, bool causal = false) {
#if TORCH_VERSION_MAJOR >= 2
  return at::scaled_dot_product_attention(q, k, v, {}, 0.0, causal);
#else
  return std::get<0>(at::_scaled_dot_product_attention(q, k, v, {}, 0.0, false, causal));
#endif
}

}  // namespace fwtax::probe
