// Checked shape arithmetic. Every product or sum of sizes, strides, element counts and byte counts
// that comes from user input or a file (factories, views, broadcasting, cat, conv/pool output
// sizes, readers) goes through these: an int64 overflow is a tg::Error naming the op and the shape,
// never a wrapped value (a wrapped element count allocates a tiny buffer behind a huge shape).
#pragma once
#include <cstdint>
#include <string>

#include "tapegrad/dtype.h"
#include "tapegrad/error.h"

namespace tg {

namespace detail {
// Throws tg::Error("<op>: shape <shape> is too large: <what> overflows int64 ...").
[[noreturn]] void throw_overflow(const char* op, IntArrayRef shape, const char* what);
// Throws tg::Error("<op>: negative dimension <size> in shape <shape>").
[[noreturn]] void throw_negative_size(const char* op, IntArrayRef shape, int64_t size);
}  // namespace detail

// a * b, or tg::Error naming `op`, `shape` (the shape being computed, for the message) and `what`
// (e.g. "the number of elements") when the product does not fit int64.
inline int64_t checked_mul(int64_t a, int64_t b, const char* op, IntArrayRef shape,
                           const char* what = "the number of elements") {
  int64_t product;
  if (__builtin_mul_overflow(a, b, &product)) detail::throw_overflow(op, shape, what);
  return product;
}

// a + b, or tg::Error as checked_mul.
inline int64_t checked_add(int64_t a, int64_t b, const char* op, IntArrayRef shape,
                           const char* what = "a size") {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) detail::throw_overflow(op, shape, what);
  return sum;
}

// The number of elements of a tensor of `sizes`. Throws tg::Error for a negative size, and when the
// element count overflows int64.
inline int64_t checked_numel(IntArrayRef sizes, const char* op) {
  bool empty = false;
  for (int64_t s : sizes) {
    if (s < 0) detail::throw_negative_size(op, sizes, s);
    empty = empty || s == 0;
  }
  if (empty) return 0;  // [2^40, 2^40, 0] has 0 elements, whatever the order of the product
  int64_t numel = 1;
  for (int64_t s : sizes) numel = checked_mul(numel, s, op, sizes);
  return numel;
}

// For a new contiguous tensor of `sizes` and `element_bytes`-byte elements: its size in bytes.
// Checks every size >= 0, and that the element count, the largest contiguous stride (the product
// of the later sizes, counting a 0 as 1: [0, 2^40, 2^40] has 0 elements but a stride of 2^80) and
// the byte count fit int64.
inline int64_t checked_contiguous_bytes(IntArrayRef sizes, int64_t element_bytes, const char* op) {
  const int64_t numel = checked_numel(sizes, op);
  int64_t stride = 1;
  for (std::size_t d = sizes.size(); d-- > 1;) stride = checked_mul(stride, sizes[d] == 0 ? 1 : sizes[d], op, sizes, "a stride");
  return checked_mul(numel, element_bytes, op, sizes, "the size in bytes");
}

}  // namespace tg
