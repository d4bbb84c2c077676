// fmt support: fmt::print("{}", tensor) prints what operator<< prints. Only <fmt/core.h> is
// included (the heavier <fmt/format.h> would cost every translation unit compile time).
#pragma once
#include <fmt/core.h>

#include <string>

#include "tapegrad/tensor.h"

template <>
struct fmt::formatter<tg::Tensor> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <typename FormatContext>
  auto format(const tg::Tensor& tensor, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{}", tg::to_string(tensor));
  }
};

template <>
struct fmt::formatter<tg::ScalarType> {
  constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
  template <typename FormatContext>
  auto format(tg::ScalarType dtype, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{}", tg::dtype_name(dtype));
  }
};
