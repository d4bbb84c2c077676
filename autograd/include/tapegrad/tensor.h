// tg::Tensor: a TensorBase (the data handle, core layer) with every op as a method and the autograd
// state (requires_grad, grad, grad_fn, hooks). The autograd layer: each op records itself on the
// tape. Names and semantics follow libtorch's C++ frontend; views (view, transpose, narrow, expand,
// operator[]) share storage with their base as in libtorch. Out-of-line methods live in
// autograd/src/tensor_methods.cpp.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "tapegrad/dtype.h"
#include "tapegrad/error.h"
#include "tapegrad/functions_and_methods.h"
#include "tapegrad/tensor_base.h"

namespace tg {

class Tensor;
namespace autograd {
class Node;
}

// Index arguments of Tensor::index, as libtorch's torch::indexing:
//   x.index({0, Slice(1, None), Ellipsis})
namespace indexing {
inline constexpr std::nullopt_t None = std::nullopt;
struct EllipsisIndexType {};
inline constexpr EllipsisIndexType Ellipsis{};
struct Slice {
  Slice(std::optional<int64_t> start = std::nullopt, std::optional<int64_t> stop = std::nullopt,
        std::optional<int64_t> step = std::nullopt)
      : start(start), stop(stop), step(step) {}
  std::optional<int64_t> start, stop, step;
};
// One entry of an index list: an integer (selects and drops the dim), a Slice, None (inserts a
// size-1 dim) or Ellipsis (as many full slices as needed).
class TensorIndex {
 public:
  TensorIndex(int64_t i) : kind_(Kind::Integer), integer_(i) {}  // NOLINT
  TensorIndex(int i) : kind_(Kind::Integer), integer_(i) {}      // NOLINT
  TensorIndex(Slice s) : kind_(Kind::Slice), slice_(s) {}        // NOLINT
  TensorIndex(std::nullopt_t) : kind_(Kind::None) {}             // NOLINT
  TensorIndex(EllipsisIndexType) : kind_(Kind::Ellipsis) {}      // NOLINT
  enum class Kind { Integer, Slice, None, Ellipsis };
  Kind kind() const { return kind_; }
  int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }

 private:
  Kind kind_;
  int64_t integer_ = 0;
  Slice slice_;
};
}  // namespace indexing

// The ops that are both a free function and a Tensor method, listed once in
// <tapegrad/functions_and_methods.h> (with their docs): here their free functions,
// tg::name(const Tensor& self, ...); below, inside the class, their methods.
#define TG_DECLARE_FUNCTION(name, params, args, ...) __VA_ARGS__ name TG_SELF_AND_PARAMS params;
#define TG_DEFINE_METHOD(name, params, args, ...) \
  __VA_ARGS__ name params const { return ::tg::name TG_SELF_AND_ARGS args; }
#define TG_SELF_AND_PARAMS(...) (const Tensor& self __VA_OPT__(, ) __VA_ARGS__)
#define TG_SELF_AND_ARGS(...) (*this __VA_OPT__(, ) __VA_ARGS__)
TG_FUNCTIONS_AND_METHODS(TG_DECLARE_FUNCTION)

class Tensor : public TensorBase {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : TensorBase(std::move(impl)) {}
  // A kernel's TensorBase result becomes a Tensor implicitly, as in PyTorch.
  Tensor(const TensorBase& base) : TensorBase(base) {}        // NOLINT
  Tensor(TensorBase&& base) : TensorBase(std::move(base)) {}  // NOLINT

  // ---- conversions and copies ----
  Tensor to(ScalarType dtype) const;
  Tensor to(TensorOptions options) const;
  Tensor detach() const;
  Tensor& detach_() const;
  // Points this tensor at new_data's storage, sizes and dtype, keeping its identity and autograd
  // state (libtorch's set_data; Module::to uses it so that optimizers keep valid handles).
  void set_data(const Tensor& new_data) const;
  Tensor contiguous() const;
  Tensor& copy_(const Tensor& src) const;
  Tensor& zero_() const;
  Tensor& fill_(double value) const;
  Tensor& normal_(double mean = 0, double std = 1) const;
  Tensor& uniform_(double from = 0, double to = 1) const;

  // ---- autograd ----
  bool requires_grad() const;
  Tensor& requires_grad_(bool flag = true) const;
  Tensor& set_requires_grad(bool flag) const { return requires_grad_(flag); }
  const Tensor& grad() const;
  Tensor& mutable_grad() const;
  bool is_leaf() const;
  void retain_grad() const;
  bool retains_grad() const;
  const std::shared_ptr<autograd::Node>& grad_fn() const;
  void backward(const Tensor& gradient = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false) const;
  // A hook sees the gradient flowing into this tensor during backward; it may return a replacement
  // (a defined tensor) or an undefined tensor to leave the gradient unchanged. Returns a handle
  // usable with remove_hook.
  template <typename Hook>
  unsigned register_hook(Hook&& hook) const {
    if constexpr (std::is_void_v<std::invoke_result_t<Hook, const Tensor&>>) {
      return register_hook_fn([h = std::forward<Hook>(hook)](const Tensor& g) {
        h(g);
        return Tensor();
      });
    } else {
      return register_hook_fn(std::function<Tensor(const Tensor&)>(std::forward<Hook>(hook)));
    }
  }
  unsigned register_hook_fn(std::function<Tensor(const Tensor&)> hook) const;
  void remove_hook(unsigned handle) const;
  uint32_t output_nr() const;

  // ---- shape and indexing methods that libtorch has as methods only ----
  Tensor view_as(const Tensor& other) const;     // view(other.sizes())
  Tensor reshape_as(const Tensor& other) const;  // reshape(other.sizes())
  Tensor expand_as(const Tensor& other) const;   // expand(other.sizes())
  Tensor operator[](int64_t index) const;        // select(0, index)
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;

  // ---- comparisons with a number (methods only here): a Bool tensor, no gradient ----
  Tensor eq(double other) const;
  Tensor ne(double other) const;
  Tensor lt(double other) const;
  Tensor le(double other) const;
  Tensor gt(double other) const;
  Tensor ge(double other) const;

  // ---- in-place (bump the version counter) ----
  Tensor& add_(const Tensor& other, double alpha = 1) const;
  Tensor& add_(double other, double alpha = 1) const;
  Tensor& sub_(const Tensor& other, double alpha = 1) const;
  Tensor& sub_(double other, double alpha = 1) const;
  Tensor& mul_(const Tensor& other) const;
  Tensor& mul_(double other) const;
  Tensor& div_(const Tensor& other) const;
  Tensor& div_(double other) const;
  Tensor& clamp_(std::optional<double> min, std::optional<double> max = std::nullopt) const;
  Tensor& relu_() const;
  Tensor& exp_() const;
  Tensor& neg_() const;
  Tensor& sqrt_() const;
  Tensor& pow_(double exponent) const;
  Tensor& addcmul_(const Tensor& a, const Tensor& b, double value = 1) const;
  Tensor& addcdiv_(const Tensor& a, const Tensor& b, double value = 1) const;
  Tensor& lerp_(const Tensor& end, double weight) const;

  // ---- the ops that are also free functions (shape, pointwise, reductions, linear algebra):
  // self.name(...) is tg::name(self, ...), both declared and documented once in
  // <tapegrad/functions_and_methods.h> ----
  TG_FUNCTIONS_AND_METHODS(TG_DEFINE_METHOD)
};
#undef TG_DECLARE_FUNCTION
#undef TG_DEFINE_METHOD
#undef TG_SELF_AND_PARAMS
#undef TG_SELF_AND_ARGS

// ---- operators (NumPy broadcasting; scalar overloads) ----
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor& operator+=(Tensor& a, const Tensor& b);
Tensor& operator-=(Tensor& a, const Tensor& b);
Tensor& operator*=(Tensor& a, const Tensor& b);
Tensor& operator/=(Tensor& a, const Tensor& b);
Tensor& operator+=(Tensor& a, double b);
Tensor& operator-=(Tensor& a, double b);
Tensor& operator*=(Tensor& a, double b);
Tensor& operator/=(Tensor& a, double b);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, double b);
Tensor operator!=(const Tensor& a, double b);
Tensor operator<(const Tensor& a, double b);
Tensor operator<=(const Tensor& a, double b);
Tensor operator>(const Tensor& a, double b);
Tensor operator>=(const Tensor& a, double b);
// Bool masks: ~ (not), & (and), | (or), ^ (xor), as libtorch's (Bool tensors only).
Tensor operator~(const Tensor& a);
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);

std::ostream& operator<<(std::ostream& out, const Tensor& tensor);
std::ostream& operator<<(std::ostream& out, ScalarType dtype);
// The printed form: values, then "[ CPUFloatType{2,3}, requires_grad=true, grad_fn=MulBackward0,
// is_leaf=false ]".
std::string to_string(const Tensor& tensor);

// ---- grad mode ----
bool is_grad_enabled();
void set_grad_enabled(bool enabled);
// RAII: disables gradient recording on this thread (thread-local, as libtorch's).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};
// libtorch's GradMode: GradMode::is_enabled(), GradMode::set_enabled(bool).
struct GradMode {
  static bool is_enabled() { return is_grad_enabled(); }
  static void set_enabled(bool enabled) { set_grad_enabled(enabled); }
};
class AutoGradMode {
 public:
  explicit AutoGradMode(bool enabled);
  ~AutoGradMode();
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool previous_;
};

}  // namespace tg
