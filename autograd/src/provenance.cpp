// Provenance notes (see provenance.h): the needs_grad overload every op calls, the notes of ops
// without a gradient and of detach(), and the per-thread ring of recent cuts.
#include "provenance.h"

#include <array>

namespace tg::autograd {

thread_local int backward_rule_depth = 0;

namespace {

struct CutRing {
  std::array<CutEvent, kCutHistory> events;
  uint64_t count = 0;
};

// Made on a thread's first cut, so threads that never cut carry nothing.
CutRing& cut_ring() {
  static thread_local std::unique_ptr<CutRing> ring;
  if (!ring) ring = std::make_unique<CutRing>();
  return *ring;
}

// Out of line and cold: an op that records never reaches them, nor does an op on plain data
// (nothing requires grad, no input has a note). A cut costs two stores, a weak reference and a
// few copies of shapes: no allocation after the thread's first cut.
[[gnu::noinline, gnu::cold]] void note_cut(const char* op, Untracked reason, const Tensor& input, Tensor& output) {
  TensorImpl* out = output.unsafe_impl();
  const TensorImpl* in = input.unsafe_impl();
  if (!out || out == in || backward_rule_depth > 0) return;
  out->untracked_origin = op;
  out->untracked_reason = static_cast<uint8_t>(reason);
  CutRing& ring = cut_ring();
  CutEvent& event = ring.events[ring.count % kCutHistory];
  ++ring.count;
  event.op = op;
  event.reason = reason;
  event.serial = ring.count;
  event.tape_position = peek_sequence_nr();
  event.input_was_leaf = in->grad_fn == nullptr;
  if (event.input_was_leaf) {
    event.input = input.impl_ptr();
    event.input_fn.reset();
  } else {
    event.input.reset();
    event.input_fn = in->grad_fn;
  }
  event.input_sizes = in->sizes;
  event.input_dtype = in->dtype;
  event.output_sizes = out->sizes;
  event.output_dtype = out->dtype;
}

[[gnu::noinline, gnu::cold]] void inherit_note(const TensorImpl& from, Tensor& output) {
  TensorImpl* out = output.unsafe_impl();
  if (!out || out == &from || backward_rule_depth > 0) return;
  out->untracked_origin = from.untracked_origin;
  out->untracked_reason = static_cast<uint8_t>(from.untracked_reason | kUntrackedInherited);
}

inline bool wants_grad(const TensorImpl& impl) { return impl.requires_grad || impl.grad_fn; }

template <typename Inputs, typename Get>
bool needs_grad_or_note(const OpDef& op, const Inputs& inputs, Get get, Tensor& output) {
  const TensorImpl* noted = nullptr;
  for (const auto& item : inputs) {
    const Tensor& t = get(item);
    const TensorImpl* impl = t.unsafe_impl();
    if (!impl) continue;
    if (wants_grad(*impl)) {
      if (is_grad_enabled()) [[likely]]
        return true;
      note_cut(op.name, Untracked::GradModeOff, t, output);
      return false;
    }
    if (impl->untracked_origin) [[unlikely]]
      noted = impl;
  }
  if (noted) [[unlikely]]
    inherit_note(*noted, output);
  return false;
}

}  // namespace

bool needs_grad(const OpDef& op, std::initializer_list<const Tensor*> inputs, Tensor& output) {
  return needs_grad_or_note(
      op, inputs, [](const Tensor* t) -> const Tensor& { return *t; }, output);
}

bool needs_grad(const OpDef& op, const std::vector<Tensor>& inputs, Tensor& output) {
  return needs_grad_or_note(
      op, inputs, [](const Tensor& t) -> const Tensor& { return t; }, output);
}

void note_not_differentiable(const char* op, std::initializer_list<const Tensor*> inputs, Tensor& output) {
  const TensorImpl* noted = nullptr;
  for (const Tensor* t : inputs) {
    const TensorImpl* impl = t->unsafe_impl();
    if (!impl) continue;
    if (wants_grad(*impl)) {
      note_cut(op, Untracked::NotDifferentiable, *t, output);
      return;
    }
    if (impl->untracked_origin) noted = impl;
  }
  if (noted) inherit_note(*noted, output);
}

void note_detached(const char* op, const Tensor& input, Tensor& output) {
  const TensorImpl* impl = input.unsafe_impl();
  if (!impl) return;
  if (wants_grad(*impl)) {
    note_cut(op, Untracked::Detached, input, output);
  } else if (impl->untracked_origin) {
    inherit_note(*impl, output);
  }
}

std::vector<CutEvent> recent_cuts() {
  std::vector<CutEvent> out;
  const CutRing& ring = cut_ring();
  const uint64_t n = std::min<uint64_t>(ring.count, kCutHistory);
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) out.push_back(ring.events[(ring.count - 1 - i) % kCutHistory]);
  return out;
}

}  // namespace tg::autograd
