// Shape ops on random shapes and arguments: sizes, dims and parameters are drawn from small values
// and from values at the edges of int64 (so products and sums overflow); inputs are real tensors
// or huge expanded views (no memory behind them). Every call must return tensors whose element
// count is the product of their sizes and whose elements can all be read, or raise tg::Error.
#include "../fuzz_util.h"

namespace {
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const std::vector<int64_t> kSizes = {
    0, 1, 1, 2, 2, 3, 3, 4, 5, -1, -2, 1ll << 31, (1ll << 32) - 1, 1ll << 32, 1ll << 40, 1ll << 62, kMax, kMin};
const std::vector<int64_t> kParams = {0, 1, 1, 2, 3, -1, -3, 1ll << 31, 1ll << 62, kMax, kMax / 2 + 1, kMin};

std::vector<int64_t> sizes(tg_fuzz::Bytes& bytes, std::size_t max_dims, const std::vector<int64_t>& from) {
  std::vector<int64_t> out(bytes.u8() % (max_dims + 1));
  for (int64_t& s : out) s = bytes.pick(from);
  return out;
}

// A real tensor of a small shape (sizes 0-4), or one time in four a huge view: ones expanded.
tg::Tensor input(tg_fuzz::Bytes& bytes) {
  const uint8_t kind = bytes.u8();
  if (kind % 4 == 3) {
    const std::vector<int64_t> target = sizes(bytes, 4, kSizes);
    std::vector<int64_t> ones(target.size(), 1);
    return tg::ones(ones).expand(target);
  }
  std::vector<int64_t> shape(bytes.u8() % 5);
  int64_t numel = 1;
  for (int64_t& s : shape) numel *= (s = bytes.u8() % 5);
  return tg::arange(0.0, static_cast<double>(numel), 1.0, tg::kFloat32).reshape(shape);
}

// Work proportional to a huge (legitimate) input is not a bug, any more than a huge allocation is
// (fuzz_util.h): the ops whose cost grows with their input's elements (matmul, convolution,
// pooling) or with the number of pieces (split, chunk) get only inputs of modest size. The
// metadata-only ops (reshape, view, expand, narrow, slice, ...) and the ops whose cost is their
// output's size (broadcasting, cat, pad: an allocation) take the huge views.
bool modest(const tg::Tensor& t) {
  for (int64_t s : t.sizes())
    if (s > (1 << 16)) return false;
  return t.numel() <= (1 << 20);
}

void check(const tg::Tensor& t) { tg_fuzz::touch(t); }
void check(const std::vector<tg::Tensor>& ts) {
  for (const auto& t : ts) tg_fuzz::touch(t);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  tg_fuzz::Bytes bytes(data, size);
  try {
    const uint8_t op = bytes.u8() % 24;
    tg::Tensor x = input(bytes);
    const bool costs_by_input = op == 6 || op == 7 || op == 8 || op == 9 || op == 10 || op == 11 || op == 15 ||
                                op == 21 || op == 22 || op == 23;
    if (costs_by_input && !modest(x)) return 0;
    auto second = [&] {
      tg::Tensor y = input(bytes);
      if (costs_by_input && !modest(y)) throw tg::Error("(skipped: a huge second input)");
      return y;
    };
    auto p = [&] { return bytes.pick(kParams); };
    auto pair = [&] { return std::vector<int64_t>{p(), p()}; };
    switch (op) {
      case 0: check(tg::reshape(x, sizes(bytes, 5, kSizes))); break;
      case 1: check(tg::view(x, sizes(bytes, 5, kSizes))); break;
      case 2: check(tg::expand(x, sizes(bytes, 5, kSizes))); break;
      case 3: check(x + input(bytes)); break;
      case 4: check(tg::cat({x, input(bytes), input(bytes)}, p())); break;
      case 5: check(tg::stack({x, x}, p())); break;
      case 6: check(tg::matmul(x, second())); break;
      case 7: check(tg::conv2d(x, second(), {}, pair(), pair(), pair(), p())); break;
      case 8: check(tg::max_pool2d(x, pair(), pair(), pair(), pair(), bytes.u8() & 1)); break;
      case 9: check(tg::avg_pool2d(x, pair(), pair(), pair(), bytes.u8() & 1, bytes.u8() & 1)); break;
      case 10: check(tg::im2col(x, pair(), pair(), pair(), pair())); break;
      case 11: check(tg::col2im(x, pair(), pair(), pair(), pair(), pair())); break;
      case 12: check(tg::pad(x, sizes(bytes, 6, kParams))); break;
      case 13: check(tg::narrow(x, p(), p(), p())); break;
      case 14: check(tg::slice(x, p(), p(), p(), p())); break;
      case 15: check(tg::split(x, p(), p())); break;
      case 16: check(tg::split(x, sizes(bytes, 3, kParams), p())); break;
      case 17: check(tg::flatten(x, p(), p())); break;
      case 18: check(tg::zeros(sizes(bytes, 4, kSizes))); break;
      case 19: check(tg::arange(static_cast<double>(p()), static_cast<double>(p()), static_cast<double>(p()))); break;
      case 20: check(tg::eye(p(), p())); break;
      case 21: check(tg::conv_transpose2d(x, second(), {}, pair(), pair(), pair(), p(), pair())); break;
      case 22: check(tg::adaptive_avg_pool2d(x, pair())); break;
      case 23: check(tg::chunk(x, p(), p())); break;
    }
  } catch (const tg::Error&) {
  }
  return 0;
}
