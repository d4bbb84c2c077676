// The tape as a teaching surface: record it, print it, draw it, step through it.
//
//   tg::autograd::Tape tape;              // records every op on this thread while alive
//   tape.watch(net);                      // names parameters: "fc1.weight", ...
//   tape.watch(x, "x");
//   auto loss = tg::mse_loss(net->forward(x), y);
//   tape.backward(loss);                  // the steppable engine, one traced step per node
//   std::cout << tape.table();            // what was recorded
//   tape.write_html("tape.html");         // open tape.html#step=3 in a browser
//
// A Tape is an RAII recorder, as TensorFlow's GradientTape: while it is alive, every node recorded
// on its thread also keeps a snapshot of its output's value and the tensors it reads, and
// tape.backward() records, for each node in processing order, the gradient that arrived, the local
// rule (the op's formula string) with its numbers, the gradients sent on and what accumulated into
// leaves. When no Tape is alive, recording pays one relaxed atomic load per op and backward()
// nothing at all. Tapes do not nest on one thread: a second raises tg::Error.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/autograd.h"

namespace tg::autograd {

// Options of a Tape (builder style, as libtorch's option structs).
struct TapeOptions {
  // A tensor with at most this many elements is printed in full; larger ones as a summary
  // (shape, mean, min, max).
  TapeOptions& max_shown(int64_t n) {
    max_shown_ = n;
    return *this;
  }
  // Values of tensors up to this many elements are kept (copied) for tools; larger ones keep only
  // their summary, so recording a big network costs a few reductions per op, not a copy.
  TapeOptions& max_kept(int64_t n) {
    max_kept_ = n;
    return *this;
  }
  int64_t max_shown_ = 12;
  int64_t max_kept_ = 1 << 16;
};

// A tensor value as a tool shows it: kept in full when small, else summarised.
struct TapeValue {
  DimVector sizes;
  ScalarType dtype = kFloat32;
  Tensor value;  // a detached copy (float64), or undefined when the tensor was too large to keep
  double mean = 0, min = 0, max = 0;
  int64_t numel = 0;
  bool defined = false;  // false: no tensor (an input that got no gradient)
  // "[0.25, -1.5]", "0.125" for one element, or "[64, 10] mean 0.01 min -0.9 max 1.2" when large.
  std::string str(int64_t max_shown = 12) const;
};

// One tensor on the tape: a leaf (a parameter, an input that requires grad), a constant (an input
// that does not), or the output of a recorded node.
struct TapeTensor {
  enum class Kind { Parameter, Leaf, Constant, Output };
  int id = 0;
  Kind kind = Kind::Constant;
  std::string name;   // the watched name ("fc1.weight", "x"), else "t<id>"
  int producer = -1;  // index in Tape::nodes() of the node that made it, -1 for a leaf or constant
  uint32_t output_nr = 0;
  TapeValue value;     // at the time it was first seen (an output: when its op ran)
  TapeValue grad;      // after Tape::backward: the gradient it received (a leaf: its .grad())
  int grad_step = -1;  // the step after which grad is complete (its last consumer's, a leaf's accumulation), -1 if none
};

// One recorded node: the op, the tensors it read and made, and what it saved for backward.
struct TapeNode {
  std::shared_ptr<Node> node;
  uint64_t sequence_nr = 0;
  std::string name;           // "mul"
  std::string backward_name;  // "MulBackward0"
  std::string formula;        // the op's rule, "grad_self = grad * other;  grad_other = grad * self"
  std::vector<int> inputs;    // TapeTensor ids, one per input of the op
  std::vector<int> outputs;   // TapeTensor ids, one per output
  std::vector<std::pair<std::string, TapeValue>> saved;  // filled when backward reads them
  std::vector<std::pair<std::string, double>> scalars;   // named floating-point arguments
};

// One backward step: a node processed by the engine.
struct TapeStep {
  int index = 0;  // 1-based, in processing order
  int node = -1;  // index in Tape::nodes(); -1 for a leaf's accumulation or an unrecorded node
  int leaf = -1;  // a leaf's accumulation (AccumulateGrad): the TapeTensor id of the leaf
  uint64_t sequence_nr = 0;
  std::string backward_name;            // "MulBackward0", "AccumulateGrad"
  std::string formula;                  // the local rule
  std::vector<TapeValue> grad_outputs;  // what arrived, one per output of the node
  std::vector<TapeValue> grad_inputs;   // what was sent, one per input (undefined: none)
  // Where the rule's result had the output's shape for a broadcast input: that result, before the
  // engine summed it to the input's shape (grad_inputs holds the sum). Undefined where no sum ran.
  std::vector<TapeValue> grad_inputs_before_sum;
  std::vector<int> grad_input_targets;        // the TapeTensor id of each input (-1: not on the tape)
  std::vector<std::string> grad_input_names;  // and its name ("hidden.weight", "t3"; "" if unknown)
  // What a reader must know to trust the numbers: how a gradient that came by several paths was
  // summed, that hooks replaced values, that the node was recorded before the Tape, that it raised.
  std::vector<std::string> notes;
  bool hooks_ran = false;                // node hooks ran at this step: the values shown are after them
  std::string leaf_name;                 // the leaf of an accumulation
  std::vector<std::string> substituted;  // the rule's clauses with the numbers put in
  TapeValue accumulated;                 // a leaf's .grad() after this step
};
std::ostream& operator<<(std::ostream& out, const TapeStep& step);

class Tape {
 public:
  explicit Tape(TapeOptions options = {});
  ~Tape();
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  // The Tape recording on this thread, or nullptr.
  static Tape* current();
  // Stops recording; what was recorded stays readable (the destructor also stops).
  void stop();
  bool recording() const { return recording_; }

  // Names a tensor (an input, a target) for every output.
  void watch(const Tensor& t, const std::string& name);
  // Names every parameter of a module by its named_parameters() key, prefixed ("net." + "fc1.weight").
  // Takes a module holder (nn::Linear) or a module; an nn type is not needed to include this header.
  template <typename ModuleLike>
  void watch(const ModuleLike& module, const std::string& prefix = "") requires requires {
    module->named_parameters();
  } || requires {
    module.named_parameters();
  }
  {
    auto params = [&] {
      if constexpr (requires { module->named_parameters(); }) {
        return module->named_parameters();
      } else {
        return module.named_parameters();
      }
    }();
    for (const auto& item : params) watch_parameter(item.value(), prefix + item.key());
  }

  // Runs backward from `root` through the steppable engine and records every step (libtorch's
  // Tensor::backward arguments). A scalar root needs no gradient.
  void backward(const Tensor& root, const Tensor& gradient = {}, bool retain_graph = false);

  const std::vector<TapeTensor>& tensors() const { return tensors_; }
  const std::vector<TapeNode>& nodes() const { return nodes_; }
  const std::vector<TapeStep>& steps() const { return steps_; }
  // Step k, 1-based as printed (a tg::Error naming k and the count when out of range).
  const TapeStep& step(std::size_t k) const;
  const TapeOptions& options() const { return options_; }

  // An aligned text table: the tensors (leaves by name, values) and the nodes (seq, op, inputs,
  // output, shapes and dtypes, saved tensors, value), newest last as recorded.
  std::string table() const;
  // Every backward step, as printed by operator<< on a TapeStep.
  std::string trace() const;
  // Graphviz DOT: ops as boxes, tensors as ellipses, parameters by name, values and gradients.
  std::string to_dot() const;
  // Renders to_dot() with Graphviz's `dot` (Debian's graphviz package); tg::Error if it cannot run.
  void write_svg(const std::string& path) const;
  // Nodes, tensors, edges, values and the backward steps as JSON, for other tools.
  std::string to_json() const;
  // One self-contained HTML file (no network): the graph laid out by Graphviz at write time, and
  // controls to step backward one node at a time. Open it at `path#step=K` (0 = before backward,
  // `#step=all` = the end) to start at step K.
  void write_html(const std::string& path) const;

  // ---- called by record() while this Tape is recording (not for users) ----
  void on_record(Node& node, const variable_list& inputs, const variable_list& outputs);

 private:
  void watch_parameter(const Tensor& t, const std::string& name);
  int tensor_id(const Tensor& t);  // the id of an input, registering a leaf or constant
  int find_output(const Node* node, uint32_t output_nr) const;
  TapeValue snapshot(const Tensor& t) const;

  TapeOptions options_;
  bool recording_ = false;
  Tape* previous_ = nullptr;
  std::vector<TapeTensor> tensors_;
  std::vector<TapeNode> nodes_;
  std::vector<TapeStep> steps_;
  std::vector<Tensor> held_;  // leaves and constants, kept alive so their addresses stay theirs
  struct Index;               // tensor and node lookups (tape.cpp)
  std::unique_ptr<Index> index_;
  std::vector<std::pair<const TensorImpl*, std::pair<std::string, bool>>> names_;  // watched names
};

}  // namespace tg::autograd
