// Printing, libtorch-like: values (summarised when large), then a line with the type and shape;
// unlike libtorch's C++ printing it also says requires_grad, the grad_fn and whether it is a leaf.
#include <fmt/format.h>

#include <cmath>
#include <ostream>
#include <sstream>

#include "tapegrad/autograd.h"
#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"

namespace tg {
namespace {

constexpr int64_t kSummarizeAbove = 1000;  // elements, as PyTorch's threshold
constexpr int64_t kEdgeItems = 3;

struct Printer {
  const Tensor& t;  // contiguous Float64 copy of the values (or Int64/Bool)
  bool integral;
  int precision;
  std::size_t width = 1;
  bool summarize;
  std::string out;

  std::string format_value(double v) const {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (integral) return fmt::format("{}", static_cast<int64_t>(v));
    return fmt::format("{:.{}f}", v, precision);
  }

  double at(int64_t flat) const {
    double v = 0;
    TG_DISPATCH_ALL(t.dtype(), "print", [&] { v = static_cast<double>(t.data_ptr<scalar_t>()[flat]); });
    return v;
  }

  // indices of dim d to show, with -1 meaning "..."
  std::vector<int64_t> shown(int64_t size) const {
    std::vector<int64_t> idx;
    if (summarize && size > 2 * kEdgeItems) {
      for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      idx.push_back(-1);
      for (int64_t i = size - kEdgeItems; i < size; ++i) idx.push_back(i);
    } else {
      for (int64_t i = 0; i < size; ++i) idx.push_back(i);
    }
    return idx;
  }

  void measure(int64_t flat_count) {
    for (int64_t i = 0; i < flat_count; ++i) width = std::max(width, format_value(at(i)).size());
  }

  void matrix(int64_t base, int64_t rows, int64_t cols, int64_t row_stride) {
    for (int64_t r : shown(rows)) {
      if (r < 0) {
        out += " ...\n";
        continue;
      }
      for (int64_t c : shown(cols)) {
        out += ' ';
        if (c < 0)
          out += "...";
        else
          out += fmt::format("{:>{}}", format_value(at(base + r * row_stride + c)), width);
      }
      out += '\n';
    }
  }

  void slices(std::vector<int64_t>& prefix, int64_t base, int64_t dim) {
    IntArrayRef sizes = t.sizes();
    int64_t ndim = t.dim();
    if (dim == ndim - 2) {
      out += "(";
      for (int64_t p : prefix) out += fmt::format("{},", p);
      out += ".,.) = \n";
      matrix(base, sizes[ndim - 2], sizes[ndim - 1], sizes[ndim - 1]);
      out += '\n';
      return;
    }
    int64_t stride = 1;
    for (int64_t d = dim + 1; d < ndim; ++d) stride *= sizes[d];
    for (int64_t i : shown(sizes[dim])) {
      if (i < 0) {
        out += "...\n\n";
        continue;
      }
      prefix.push_back(i);
      slices(prefix, base + i * stride, dim + 1);
      prefix.pop_back();
    }
  }
};

std::string type_line(const Tensor& tensor) {
  std::string line = fmt::format("[ {}{{{}}}", tensor.toString(), fmt::join(tensor.sizes(), ","));
  line += fmt::format(", requires_grad={}", tensor.requires_grad() ? "true" : "false");
  if (tensor.grad_fn()) line += ", grad_fn=" + tensor.grad_fn()->backward_name();
  line += fmt::format(", is_leaf={} ]", tensor.is_leaf() ? "true" : "false");
  return line;
}

}  // namespace

std::string to_string(const Tensor& tensor) {
  if (!tensor.defined()) return "[ Tensor (undefined) ]";
  Tensor values;
  {
    NoGradGuard guard;
    values = tensor.is_floating_point() ? tensor.to(kFloat64).contiguous() : tensor.contiguous();
  }
  Printer p{values, !tensor.is_floating_point(), 4, 1, tensor.numel() > kSummarizeAbove, {}};
  if (!p.integral) {
    // integers printed without decimals when every value is whole (as libtorch)
    bool whole = true;
    double max_abs = 0;
    for (int64_t i = 0; i < values.numel(); ++i) {
      double v = p.at(i);
      if (std::isfinite(v)) {
        if (v != std::floor(v)) whole = false;
        max_abs = std::max(max_abs, std::abs(v));
      }
    }
    if (whole && max_abs < 1e9) p.integral = true;
  }
  p.measure(values.numel());
  if (tensor.dim() == 0) {
    p.out = p.format_value(p.at(0)) + "\n";
  } else if (tensor.dim() == 1) {
    for (int64_t i : p.shown(tensor.size(0)))
      p.out += i < 0 ? std::string(" ...\n") : fmt::format(" {:>{}}\n", p.format_value(p.at(i)), p.width);
  } else if (tensor.dim() == 2) {
    p.matrix(0, tensor.size(0), tensor.size(1), tensor.size(1));
  } else {
    std::vector<int64_t> prefix;
    p.slices(prefix, 0, 0);
  }
  return p.out + type_line(tensor);
}

std::ostream& operator<<(std::ostream& out, const Tensor& tensor) { return out << to_string(tensor); }
std::ostream& operator<<(std::ostream& out, ScalarType dtype) { return out << dtype_name(dtype); }

}  // namespace tg
