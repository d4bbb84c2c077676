// Anomaly mode: find the forward op behind a NaN or Inf gradient.
//
// While it is on, every node recorded remembers where its forward was called, and every backward
// step checks the gradients its rule produced: a NaN or Inf raises a tg::Error naming the node, the
// input slot, the chain of ops from the loss down to it and the source file and line of the forward
// call. libtorch's torch::autograd::AnomalyMode and DetectAnomalyGuard; PyTorch's
// torch.autograd.set_detect_anomaly. Off, it costs one relaxed atomic load per recorded op.
//
// The forward call's file and line come from the debug information of the program calling
// tapegrad: build it with -g (or -g1, line tables only). Without it the error still names the
// function that made the call. The call stack is kept as return addresses only; they are resolved
// to names (GCC's libbacktrace) only when an error is raised. docs/PERFORMANCE.md gives the cost.
#pragma once
#include <string>
#include <vector>

namespace tg::autograd {

// A process-wide switch (libtorch's torch::autograd::AnomalyMode). It applies to the nodes
// recorded while it is on (they keep their forward's call stack) and to the backward passes
// started while it is on (they check every step's gradients).
struct AnomalyMode {
  // Whether anomaly mode is on.
  static bool is_enabled();
  // Turns anomaly mode on or off.
  static void set_enabled(bool enabled);
};

// Turns anomaly mode on for its lifetime and restores the previous state on destruction (libtorch's
// torch::autograd::DetectAnomalyGuard; PyTorch's `with torch.autograd.detect_anomaly():`).
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

// Turns anomaly mode on or off (PyTorch's torch.autograd.set_detect_anomaly(mode)); the same as
// AnomalyMode::set_enabled.
void set_detect_anomaly(bool enabled);

// Where a node's forward was called: the call stack captured when it was recorded with anomaly
// mode on (libtorch's torch::autograd::AnomalyMetadata; Node::anomaly_metadata() returns it).
// Resolving addresses to files and lines reads the program's debug information: the first call in
// a process takes tens of milliseconds, later ones far less.
struct AnomalyMetadata {
  // The user's forward call: "file.cpp:42 in function" of the innermost frame outside tapegrad's
  // own sources and the C++ runtime (for a program built without -g, "in function" alone), or ""
  // if no such frame is known.
  std::string forward_location() const;
  // The stack from the user's forward call outward, one frame per line ("  #3 file.cpp:42 in f",
  // numbered by depth in the whole stack), as PyTorch's "Traceback of forward call": the frames
  // of tapegrad and the C++ runtime inside the call are left out, and so are those of the C
  // runtime that call main. The whole stack when no user frame is found.
  std::string forward_traceback() const;
  // The whole stack, one frame per line, innermost first (tapegrad's own frames included).
  std::string traceback() const;
  std::vector<void*> frames;  // return addresses, resolved to names only when an error is raised
};

}  // namespace tg::autograd
