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
inline int64_t checked_add(int64_t a, int64_t b, const char* op, IntArrayRef shape, const char* what = "a size") {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) detail::throw_overflow(op, shape, what);
  return sum;
}

// The number of elements of a tensor of `sizes`. Throws tg::Error for a negative size, and when
// the product of the sizes, counting a 0 as 1, does not fit int64. That one bound is the invariant
// of every tensor: it bounds the element count, every contiguous stride and every partial product
// of sizes a kernel computes, in any order ([2^40, 2^40, 0] is refused: 0 elements, but
// 2^40 * 2^40 on the way there).
inline int64_t checked_numel(IntArrayRef sizes, const char* op) {
  bool empty = false;
  for (int64_t s : sizes) {
    if (s < 0) detail::throw_negative_size(op, sizes, s);
    empty = empty || s == 0;
  }
  int64_t span = 1;
  for (int64_t s : sizes)
    span = checked_mul(span, s == 0 ? 1 : s, op, sizes,
                       empty ? "the product of its nonzero sizes" : "the number of elements");
  return empty ? 0 : span;
}

// For a new contiguous tensor of `sizes` and `element_bytes`-byte elements: its size in bytes.
// Checks the sizes as checked_numel does, and that the byte count fits int64.
inline int64_t checked_contiguous_bytes(IntArrayRef sizes, int64_t element_bytes, const char* op) {
  return checked_mul(checked_numel(sizes, op), element_bytes, op, sizes, "the size in bytes");
}

}  // namespace tg
