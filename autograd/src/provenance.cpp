// Provenance notes (see provenance.h): the needs_grad overload every op calls, the notes of ops
// without a gradient and of detach(), and the per-thread ring of recent cuts.
#include "provenance.h"

#include <algorithm>
#include <array>
#include <atomic>

namespace tg::autograd {

thread_local int backward_rule_depth = 0;

namespace {

struct CutRing {
  std::array<CutEvent, kCutHistory> events;
  uint64_t written = 0;  // slots used so far (the next one is written % kCutHistory)
  uint64_t serial = 0;   // the last serial handed out
};

// Made on a thread's first cut, so threads that never cut carry nothing.
CutRing& cut_ring() {
  static thread_local std::unique_ptr<CutRing> ring;
  if (!ring) ring = std::make_unique<CutRing>();
  return *ring;
}

std::atomic<uint64_t> cuts_made{0};

// The leaves a non-leaf input's graph reaches, looking at most kWalk nodes deep into it: enough for
// the usual x.mm(w).detach() or scores.argmax(1), bounded so that detaching a long graph (an RNN's
// hidden state) stays cheap. Only for a new ring entry, never for a refreshed one.
void note_input_leaves(const Node& from, CutEvent& event) {
  constexpr std::size_t kWalk = 32;
  std::array<const Node*, kWalk> seen{};
  std::size_t n_seen = 0, n_leaves = 0;
  std::array<const Node*, kWalk> stack{};
  std::size_t top = 0;
  stack[top++] = &from;
  for (auto& l : event.input_leaves) l.reset();
  while (top > 0 && n_seen < kWalk && n_leaves < event.input_leaves.size()) {
    const Node* n = stack[--top];
    if (std::find(seen.begin(), seen.begin() + n_seen, n) != seen.begin() + n_seen) continue;
    seen[n_seen++] = n;
    if (n->is_accumulate_grad()) {
      event.input_leaves[n_leaves++] = static_cast<const AccumulateGrad*>(n)->variable().impl_ptr();
      continue;
    }
    for (const Edge& e : n->next_edges())
      if (e.function && top < kWalk) stack[top++] = e.function.get();
  }
}

template <typename T>
bool same_owner(const std::weak_ptr<T>& a, const std::shared_ptr<T>& b) {
  return !a.owner_before(b) && !b.owner_before(a);
}

// Out of line and cold: an op that records never reaches them, nor does an op on plain data
// (nothing requires grad, no input has a note). A cut costs two stores on the output and one ring
// entry: no allocation after the thread's first cut. The same cut repeated (no-grad inference
// over the same parameters, batch after batch) refreshes its recent entry instead of taking a new
// one, so it costs no reference-count traffic either.
[[gnu::noinline, gnu::cold]] void note_cut(const char* op, Untracked reason, const Tensor& input, Tensor& output) {
  TensorImpl* out = output.unsafe_impl();
  const TensorImpl* in = input.unsafe_impl();
  if (!out || out == in || backward_rule_depth > 0) return;
  out->untracked_origin = op;
  out->untracked_reason = static_cast<uint8_t>(reason);
  CutRing& ring = cut_ring();
  const bool leaf = in->grad_fn == nullptr;
  CutEvent* event = nullptr;
  constexpr uint64_t kRecent = 8;
  for (uint64_t k = 1; k <= std::min(kRecent, ring.written) && !event; ++k) {
    CutEvent& e = ring.events[(ring.written - k) % kCutHistory];
    if (e.op != op || e.reason != reason || e.input_was_leaf != leaf) continue;
    const bool same = leaf ? !e.input.expired() && same_owner(e.input, input.impl_ptr())
                           : !e.input_fn.expired() && same_owner(e.input_fn, in->grad_fn);
    if (same) event = &e;
  }
  if (!event) {
    event = &ring.events[ring.written % kCutHistory];
    ++ring.written;
    event->op = op;
    event->reason = reason;
    event->input_was_leaf = leaf;
    if (leaf) {
      event->input = input.impl_ptr();
      event->input_fn.reset();
      for (auto& l : event->input_leaves) l.reset();
    } else {
      event->input.reset();
      event->input_fn = in->grad_fn;
      note_input_leaves(*in->grad_fn, *event);
    }
    event->id = cuts_made.fetch_add(1, std::memory_order_relaxed) + 1;
    event->first_tape_position = peek_sequence_nr();
  }
  event->serial = ++ring.serial;
  event->tape_position = peek_sequence_nr();
  event->input_sizes = in->sizes;
  event->input_dtype = in->dtype;
  event->output_sizes = out->sizes;
  event->output_dtype = out->dtype;
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

uint64_t cut_clock() { return cuts_made.load(std::memory_order_relaxed); }

std::vector<CutEvent> recent_cuts() {
  const CutRing& ring = cut_ring();
  const uint64_t n = std::min<uint64_t>(ring.written, kCutHistory);
  std::vector<CutEvent> out(ring.events.begin(), ring.events.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(out.begin(), out.end(), [](const CutEvent& a, const CutEvent& b) { return a.serial > b.serial; });
  return out;
}

}  // namespace tg::autograd
