// The slow path of recording: what a live Tape or anomaly mode adds to every node recorded. When
// neither is active, record() pays one relaxed atomic load and nothing else.
#pragma once
#include <atomic>

#include "tapegrad/autograd.h"

namespace tg::autograd {

// Live Tapes (on any thread) plus one while anomaly mode is on; record() calls observe_record
// only when it is non-zero.
inline std::atomic<int> record_observers{0};

inline bool observing_records() { return record_observers.load(std::memory_order_relaxed) != 0; }

// Called by record() and by custom Functions after a node is made and its outputs point at it.
void observe_record(Node& node, const variable_list& inputs, const variable_list& outputs);

// Anomaly mode's part (autograd/src/anomaly_mode.cpp).
std::shared_ptr<const AnomalyMetadata> capture_anomaly_metadata();
// Raises a tg::Error if a gradient the node's rule produced holds a NaN or Inf, naming the node, the
// slot, the chain of nodes from `roots` (the graph's outputs, where backward started) down to it,
// and where its forward was called. Costs one pass over each gradient when none is bad.
void check_anomaly(const Node& node, const variable_list& grad_inputs, const std::vector<std::shared_ptr<Node>>& roots);

}  // namespace tg::autograd
