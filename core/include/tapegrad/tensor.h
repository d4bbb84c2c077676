// tg::Tensor: a cheap handle (one shared_ptr) to an n-dimensional array with autograd metadata.
// Names and semantics follow libtorch's C++ frontend; views (view, transpose, narrow, expand,
// operator[]) share storage with their base as in libtorch.
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

namespace tg {

struct TensorImpl;
class Tensor;
namespace autograd {
class Node;
}

// libtorch's TensorOptions: tg::TensorOptions().dtype(tg::kFloat64).requires_grad(true).
class TensorOptions {
 public:
  TensorOptions() = default;
  TensorOptions(ScalarType dtype) : dtype_(dtype) {}  // NOLINT: tg::zeros({2}, tg::kInt64)
  TensorOptions dtype(ScalarType dtype) const {
    TensorOptions copy = *this;
    copy.dtype_ = dtype;
    return copy;
  }
  TensorOptions requires_grad(bool flag) const {
    TensorOptions copy = *this;
    copy.requires_grad_ = flag;
    return copy;
  }
  ScalarType dtype() const { return dtype_.value_or(kFloat32); }
  std::optional<ScalarType> dtype_opt() const { return dtype_; }
  bool requires_grad() const { return requires_grad_; }

 private:
  std::optional<ScalarType> dtype_;
  bool requires_grad_ = false;
};

inline TensorOptions dtype(ScalarType d) { return TensorOptions().dtype(d); }
inline TensorOptions requires_grad(bool flag = true) { return TensorOptions().requires_grad(flag); }

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

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* unsafe_impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- metadata ----
  IntArrayRef sizes() const;
  IntArrayRef strides() const;
  int64_t size(int64_t dim) const;
  int64_t stride(int64_t dim) const;
  int64_t dim() const;
  int64_t ndimension() const { return dim(); }
  int64_t numel() const;
  ScalarType dtype() const;
  ScalarType scalar_type() const { return dtype(); }
  bool is_floating_point() const;
  bool is_contiguous() const;
  int64_t storage_offset() const;
  std::string toString() const;  // "CPUFloatType", as libtorch
  bool is_alias_of(const Tensor& other) const;  // shares storage

  // ---- data access ----
  template <typename T>
  T* data_ptr() const;
  template <typename T>
  T item() const;
  double item_double() const;  // the value of a one-element tensor as double

  // ---- conversions and copies ----
  Tensor to(ScalarType dtype) const;
  Tensor to(TensorOptions options) const;
  Tensor clone() const;
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
  int64_t _version() const;
  uint32_t output_nr() const;

  // ---- shape ops (views where libtorch returns views) ----
  Tensor reshape(IntArrayRef shape) const;
  Tensor view(IntArrayRef shape) const;
  Tensor view_as(const Tensor& other) const;
  Tensor reshape_as(const Tensor& other) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor t() const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor permute(IntArrayRef dims) const;
  Tensor expand(IntArrayRef sizes) const;
  Tensor expand_as(const Tensor& other) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim = 0, std::optional<int64_t> start = std::nullopt,
               std::optional<int64_t> end = std::nullopt, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor operator[](int64_t index) const;
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  std::vector<Tensor> split(int64_t split_size, int64_t dim = 0) const;
  std::vector<Tensor> split(IntArrayRef split_sizes, int64_t dim = 0) const;
  std::vector<Tensor> chunk(int64_t chunks, int64_t dim = 0) const;
  std::vector<Tensor> unbind(int64_t dim = 0) const;

  // ---- pointwise math ----
  Tensor add(const Tensor& other, double alpha = 1) const;
  Tensor add(double other, double alpha = 1) const;
  Tensor sub(const Tensor& other, double alpha = 1) const;
  Tensor sub(double other, double alpha = 1) const;
  Tensor mul(const Tensor& other) const;
  Tensor mul(double other) const;
  Tensor div(const Tensor& other) const;
  Tensor div(double other) const;
  Tensor neg() const;
  Tensor pow(double exponent) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor erf() const;
  Tensor square() const;
  Tensor reciprocal() const;
  Tensor clamp(std::optional<double> min, std::optional<double> max = std::nullopt) const;
  Tensor clamp_min(double min) const;
  Tensor clamp_max(double max) const;
  Tensor maximum(const Tensor& other) const;
  Tensor max(const Tensor& other) const;
  Tensor min(const Tensor& other) const;
  Tensor dot(const Tensor& other) const;
  Tensor sum_to_size(IntArrayRef sizes) const;
  Tensor minimum(const Tensor& other) const;
  Tensor heaviside(const Tensor& values) const;
  Tensor eq(const Tensor& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor le(const Tensor& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor eq(double other) const;
  Tensor ne(double other) const;
  Tensor lt(double other) const;
  Tensor le(double other) const;
  Tensor gt(double other) const;
  Tensor ge(double other) const;
  Tensor logical_not() const;
  Tensor logical_and(const Tensor& other) const;
  Tensor logical_or(const Tensor& other) const;
  Tensor logical_xor(const Tensor& other) const;

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

  // ---- reductions ----
  Tensor sum(std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor sum(IntArrayRef dims, bool keepdim = false,
             std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor mean(std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor mean(IntArrayRef dims, bool keepdim = false,
              std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor prod(std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor prod(int64_t dim, bool keepdim = false,
              std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor max() const;
  Tensor min() const;
  std::tuple<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;
  std::tuple<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(IntArrayRef dims = {}, bool keepdim = false) const;
  Tensor amin(IntArrayRef dims = {}, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor var(bool unbiased = true) const;
  Tensor var(IntArrayRef dims, bool unbiased = true, bool keepdim = false) const;
  Tensor std(bool unbiased = true) const;
  Tensor std(IntArrayRef dims, bool unbiased = true, bool keepdim = false) const;
  Tensor norm(double p = 2) const;
  Tensor norm(double p, IntArrayRef dims, bool keepdim = false) const;
  Tensor logsumexp(IntArrayRef dims, bool keepdim = false) const;
  Tensor softmax(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  Tensor log_softmax(int64_t dim, std::optional<ScalarType> dtype = std::nullopt) const;
  bool allclose(const Tensor& other, double rtol = 1e-5, double atol = 1e-8,
                bool equal_nan = false) const;
  bool equal(const Tensor& other) const;

  // ---- linear algebra ----
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

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

// ---- memory, threads, randomness ----
struct MemoryStats {
  int64_t live_storages = 0;  // storages currently owned by some tensor
  int64_t live_bytes = 0;
  int64_t cached_bytes = 0;   // freed buffers kept for reuse
  int64_t cached_blocks = 0;
  int64_t cache_hits = 0;
  int64_t cache_misses = 0;
  int64_t cache_limit = 0;
};
MemoryStats memory_stats();
void empty_cache();                       // return every cached buffer to the system
void set_cache_limit(int64_t bytes);      // default 1 GiB, or TG_CACHE_LIMIT_MB
void set_num_threads(int n);              // bounds TBB and OpenBLAS; default TG_NUM_THREADS or cores
int get_num_threads();
void manual_seed(uint64_t seed);

}  // namespace tg
