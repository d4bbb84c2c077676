// tg::TensorBase: the data side of a tensor, and nothing more. A cheap handle (one shared_ptr) to
// an n-dimensional array: sizes, strides, dtype, the raw data. No ops and no autograd: those are
// tg::Tensor's (autograd layer, <tapegrad/tensor.h>), which derives from this class, as PyTorch's
// at::Tensor derives from at::TensorBase. Kernels (core) take and return TensorBase; a TensorBase
// converts implicitly to a Tensor.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tapegrad/dtype.h"
#include "tapegrad/error.h"

namespace tg {

struct TensorImpl;

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

class TensorBase {
 public:
  TensorBase() = default;
  explicit TensorBase(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  TensorImpl* unsafe_impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const TensorBase& other) const { return impl_ == other.impl_; }

  // ---- metadata (each raises tg::Error naming the method on an undefined tensor) ----
  IntArrayRef sizes() const;
  IntArrayRef strides() const;
  int64_t size(int64_t dim) const;  // negative dims count from the end
  int64_t stride(int64_t dim) const;
  int64_t dim() const;
  int64_t ndimension() const { return dim(); }
  int64_t numel() const;
  ScalarType dtype() const;
  ScalarType scalar_type() const { return dtype(); }
  bool is_floating_point() const;
  bool is_contiguous() const;
  int64_t storage_offset() const;                   // in elements
  std::string toString() const;                     // "CPUFloatType", as libtorch
  bool is_alias_of(const TensorBase& other) const;  // shares storage
  // The storage's version counter, bumped by every in-place write through any view (libtorch's
  // _version); saved tensors check it in backward.
  int64_t _version() const;

  // ---- data access ----
  // The first element (at storage_offset) as T*; raises tg::Error when T is not the dtype.
  template <typename T>
  T* data_ptr() const;
  // The value of a one-element tensor converted to T; raises tg::Error for more elements.
  template <typename T>
  T item() const;
  double item_double() const;  // the value of a one-element tensor as double

 protected:
  std::shared_ptr<TensorImpl> impl_;
};

// ---- memory, threads, randomness ----
struct MemoryStats {
  int64_t live_storages = 0;  // storages currently owned by some tensor
  int64_t live_bytes = 0;
  int64_t cached_bytes = 0;  // freed buffers kept for reuse
  int64_t cached_blocks = 0;
  int64_t cache_hits = 0;
  int64_t cache_misses = 0;
  int64_t cache_limit = 0;
};
MemoryStats memory_stats();
void empty_cache();                   // return every cached buffer to the system
void set_cache_limit(int64_t bytes);  // default 1 GiB, or TG_CACHE_LIMIT_MB
void set_num_threads(int n);          // bounds TBB and OpenBLAS; default TG_NUM_THREADS or cores
int get_num_threads();
// The instruction set the element-wise, reduction and pooling loops run with: "AVX2" (AVX2 and
// FMA) or "DEFAULT" (baseline x86-64, or another architecture). A portable build (TG_NATIVE=OFF)
// chooses at startup from the CPU; TG_CPU_CAPABILITY=default forces the baseline loops (for tests
// and comparisons). A TG_NATIVE=ON build reports what it was compiled for. Mirrors PyTorch's
// torch.backends.cpu.get_cpu_capability() (and its ATEN_CPU_CAPABILITY variable).
std::string get_cpu_capability();
void manual_seed(uint64_t seed);

}  // namespace tg
