// The private side of a tensor: storage (a buffer from the caching allocator plus the version
// counter shared by all views of it) and TensorImpl (shape, strides, offset, autograd slots).
// Core's interface for the layers that implement ops (autograd, serialize); never installed.
#pragma once
#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "tapegrad/checked_math.h"
#include "tapegrad/tensor_base.h"

namespace tg {
namespace autograd {
class Node;
}

// Implemented by the autograd layer (autograd::AutogradMeta); core only owns and destroys it.
struct AutogradMetaInterface {
  virtual ~AutogradMetaInterface() = default;
};

struct Storage {
  void* data = nullptr;
  std::size_t nbytes = 0;
  bool owned = true;    // false for from_blob: the caller owns the memory
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

  // autograd: the slots every recorded op reads and writes stay inline (a Node is opaque here);
  // the state few tensors have lives in autograd_meta, created on first use by the autograd layer
  // (a leaf's grad, its hooks, retain_grad, its gradient accumulator), as PyTorch's
  // AutogradMetaInterface.
  bool requires_grad = false;  // leaves: set by the user; non-leaves: true iff grad_fn
  bool is_view = false;        // shares storage with another tensor that may carry a graph
  uint16_t output_nr = 0;      // which output of grad_fn this is (libtorch's output_nr; fits the padding)
  // Provenance, for diagnostics only (tg::autograd::explain_grad): why this tensor carries no
  // graph although it was computed from a tensor that did. `untracked_origin` names the op that
  // made it (a string literal, never freed: "mul", "detach", "argmax", ...) and `untracked_reason`
  // says how (a code owned by the autograd layer; 0 with a null origin). Written by the ops of the
  // autograd layer only when an input required grad (or carried such a note); nothing reads them
  // on the way of an op. Core never reads or writes them.
  uint8_t untracked_reason = 0;  // fits the padding after output_nr
  const char* untracked_origin = nullptr;
  std::shared_ptr<autograd::Node> grad_fn;
  // Set once, by whichever thread first needs it (compare-exchange): threads that record over a
  // shared leaf may create it while another reads the leaf's grad. Owned: deleted with the impl.
  std::atomic<AutogradMetaInterface*> autograd_meta{nullptr};

  TensorImpl() = default;
  ~TensorImpl() { delete autograd_meta.load(std::memory_order_acquire); }
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;

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
TensorBase make_tensor(IntArrayRef sizes, ScalarType dtype, const char* op = "empty");
// A view sharing `base`'s storage. Throws tg::Error naming `op` when the view would reach outside
// the storage (checked_math.h: no op can build an out-of-bounds view).
TensorBase make_view(const TensorBase& base, IntArrayRef sizes, IntArrayRef strides, int64_t offset,
                     const char* op = "view");
void bump_version(const TensorBase& t);
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);
[[noreturn]] void fail(const std::string& message);

void* allocate(std::size_t nbytes);
void deallocate(void* ptr, std::size_t nbytes);
}  // namespace detail

}  // namespace tg
