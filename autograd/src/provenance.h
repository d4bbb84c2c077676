// Provenance: the notes ops leave when they cut a tensor out of the graph, for explain_grad.
//
// An op that returns a tensor without a graph although an input required grad (grad mode was off,
// detach(), or an op without a gradient such as argmax) writes two things, and only then:
//  - on the output's TensorImpl, `untracked_origin` (the op's name, a string literal) and
//    `untracked_reason` (an Untracked code, record.h): one pointer and one byte, no allocation;
//  - a CutEvent in a small per-thread ring of the last kCutHistory cuts, so that explain_grad can
//    tell whether the tensor it is asked about fed that op (weak references: the ring keeps no
//    tensor or graph alive).
// Ops that record (grad mode on, an input requires grad) do neither: the check costs nothing there.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "record.h"

namespace tg::autograd {

// One cut: `op` received `input`, which required grad, and returned a tensor without a graph.
struct CutEvent {
  const char* op = nullptr;
  Untracked reason = Untracked::None;
  uint64_t serial = 0;               // when it last happened: 1, 2, ... on this thread
  uint64_t tape_position = 0;        // peek_sequence_nr() then: nodes numbered below it are older
  uint64_t id = 0;                   // cut_clock() when first made (any thread); kept when refreshed
  uint64_t first_tape_position = 0;  // tape_position when first made; kept when refreshed
  bool input_was_leaf = false;       // the input that required grad was a leaf:
  std::weak_ptr<TensorImpl> input;   //   then the input itself,
  std::weak_ptr<Node> input_fn;      //   else its grad_fn (its identity on the graph)
  // For a non-leaf input: leaves its graph reached (a bounded walk when the cut was first made), so
  // that a cut can still be tied to a leaf after the input and its graph are gone.
  std::array<std::weak_ptr<TensorImpl>, 4> input_leaves;
  DimVector input_sizes;
  ScalarType input_dtype = kFloat32;
  DimVector output_sizes;
  ScalarType output_dtype = kFloat32;
};

inline constexpr std::size_t kCutHistory = 256;

// The cuts remembered on the calling thread, newest first (at most kCutHistory). A cut repeated
// with the same op and input refreshes its entry (serial, tape position, shapes).
std::vector<CutEvent> recent_cuts();

// How many cuts have been made so far, on all threads (CutEvent::id counts them).
uint64_t cut_clock();

}  // namespace tg::autograd
