// fmt support: fmt::print("{}", tensor) prints what operator<< prints.
#pragma once
#include <fmt/core.h>

#include <string>

#include "tapegrad/tensor.h"

template <>
struct fmt::formatter<tg::Tensor> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const tg::Tensor& tensor, FormatContext& ctx) const {
    std::string text = tg::to_string(tensor);
    return fmt::formatter<std::string_view>::format(text, ctx);
  }
};

template <>
struct fmt::formatter<tg::ScalarType> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(tg::ScalarType dtype, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(tg::dtype_name(dtype), ctx);
  }
};
