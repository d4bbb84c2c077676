// Dtype dispatch: run a generic lambda with `scalar_t` bound to the tensor's C++ element type.
#pragma once
#include <cstdint>
#include <string>

#include "tapegrad/internal/tensor_impl.h"

#define TG_DISPATCH_CASE(ENUM, TYPE, ...) \
  case ENUM: {                            \
    using scalar_t = TYPE;                \
    __VA_ARGS__();                        \
    break;                                \
  }

// float32 / float64
#define TG_DISPATCH_FLOATING(DTYPE, OPNAME, ...)                           \
  switch (DTYPE) {                                                         \
    TG_DISPATCH_CASE(::tg::ScalarType::Float32, float, __VA_ARGS__)        \
    TG_DISPATCH_CASE(::tg::ScalarType::Float64, double, __VA_ARGS__)       \
    default:                                                               \
      ::tg::detail::fail(std::string(OPNAME) +                             \
                         ": expected a floating-point tensor (Float32 or " \
                         "Float64), got " +                                \
                         ::tg::dtype_name(DTYPE));                         \
  }

// float32 / float64 / int64
#define TG_DISPATCH_NUMERIC(DTYPE, OPNAME, ...)                                                                \
  switch (DTYPE) {                                                                                             \
    TG_DISPATCH_CASE(::tg::ScalarType::Float32, float, __VA_ARGS__)                                            \
    TG_DISPATCH_CASE(::tg::ScalarType::Float64, double, __VA_ARGS__)                                           \
    TG_DISPATCH_CASE(::tg::ScalarType::Int64, int64_t, __VA_ARGS__)                                            \
    default: ::tg::detail::fail(std::string(OPNAME) + ": not supported for dtype " + ::tg::dtype_name(DTYPE)); \
  }

// every dtype, Bool included
#define TG_DISPATCH_ALL(DTYPE, OPNAME, ...)                               \
  switch (DTYPE) {                                                        \
    TG_DISPATCH_CASE(::tg::ScalarType::Float32, float, __VA_ARGS__)       \
    TG_DISPATCH_CASE(::tg::ScalarType::Float64, double, __VA_ARGS__)      \
    TG_DISPATCH_CASE(::tg::ScalarType::Int64, int64_t, __VA_ARGS__)       \
    TG_DISPATCH_CASE(::tg::ScalarType::Bool, bool, __VA_ARGS__)           \
    default: ::tg::detail::fail(std::string(OPNAME) + ": unknown dtype"); \
  }
