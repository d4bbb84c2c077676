// Anomaly mode: find the forward op behind a NaN or Inf gradient.
//
// While it is on, every node recorded remembers where its forward was called, and every backward
// step checks the gradients its rule produced: a NaN or Inf raises a tg::Error naming the node, the
// input slot, the chain of ops from the loss down to it and the source file and line of the forward
// call. libtorch's torch::autograd::AnomalyMode and DetectAnomalyGuard; PyTorch's
// torch.autograd.set_detect_anomaly. Off, it costs one relaxed atomic load per recorded op.
#pragma once
#include <string>
#include <vector>

namespace tg::autograd {

// libtorch's torch::autograd::AnomalyMode: a process-wide switch.
struct AnomalyMode {
  static bool is_enabled();
  static void set_enabled(bool enabled);
};

// Turns anomaly mode on for its lifetime and restores the previous state (libtorch's
// torch::autograd::DetectAnomalyGuard).
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

// PyTorch's torch.autograd.set_detect_anomaly(mode).
void set_detect_anomaly(bool enabled);

// Where a node's forward was called: the call stack captured when it was recorded.
struct AnomalyMetadata {
  // "file.cpp:42 in main" of the innermost frame outside tapegrad's own sources, or "" if unknown.
  std::string forward_location() const;
  // The whole stack, one frame per line, innermost first.
  std::string traceback() const;
  std::vector<void*> frames;  // return addresses, resolved to names only when an error is raised
};

}  // namespace tg::autograd
