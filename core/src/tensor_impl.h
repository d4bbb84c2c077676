// The private side of tg::Tensor: storage (a buffer from the caching allocator plus the version
// counter shared by all views of it) and TensorImpl (shape, strides, offset, autograd fields).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "tapegrad/checked_math.h"
#include "tapegrad/tensor.h"

namespace tg {
namespace autograd {
class Node;
}

struct Storage {
  void* data = nullptr;
  std::size_t nbytes = 0;
  bool owned = true;  // false for from_blob: the caller owns the memory
  int64_t version = 0;  // bumped by every in-place write through any view
  Storage(std::size_t nbytes);
  Storage(void* external, std::size_t nbytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  DimVector sizes;
  DimVector strides;
  int64_t offset = 0;  // in elements
  int64_t numel = 0;
  ScalarType dtype = kFloat32;
  bool contiguous = true;

  // autograd
  bool requires_grad = false;  // leaves: set by the user; non-leaves: true iff grad_fn
  bool retains_grad = false;
  bool is_view = false;        // shares storage with another tensor that may carry a graph
  uint16_t output_nr = 0;      // which output of grad_fn this is (libtorch's output_nr; fits the padding)
  std::shared_ptr<autograd::Node> grad_fn;
  std::weak_ptr<autograd::Node> grad_accumulator;  // leaves only
  Tensor grad;
  std::vector<std::pair<unsigned, std::function<Tensor(const Tensor&)>>> hooks;  // leaves only

  char* data_bytes() const {
    return static_cast<char*>(storage->data) + offset * static_cast<int64_t>(element_size(dtype));
  }
  template <typename T>
  T* data() const {
    return reinterpret_cast<T*>(data_bytes());
  }
  void set_sizes_contiguous(IntArrayRef new_sizes);
  void refresh();  // recompute numel and contiguous from sizes/strides
};

inline int64_t dim_count(const TensorImpl& impl) { return static_cast<int64_t>(impl.sizes.size()); }

namespace detail {
// A fresh contiguous tensor of `sizes` (uninitialised memory from the caching allocator). Throws
// tg::Error naming `op` when a size is negative, the shape overflows int64 or memory runs out.
Tensor make_tensor(IntArrayRef sizes, ScalarType dtype, const char* op = "empty");
// A view sharing `base`'s storage. Throws tg::Error naming `op` when the view would reach outside
// the storage (checked_math.h: no op can build an out-of-bounds view).
Tensor make_view(const Tensor& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset,
                 const char* op = "view");
void bump_version(const Tensor& t);
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);
[[noreturn]] void fail(const std::string& message);

void* allocate(std::size_t nbytes);
void deallocate(void* ptr, std::size_t nbytes);
}  // namespace detail

}  // namespace tg
