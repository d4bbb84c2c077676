// How an op records itself on the tape. An op's file defines its forward and, next to it, its vjp
// and OpDef; after computing the output it calls
//   if (needs_grad({&a, &b})) record(kMulDef, {&a, &b}, out, {a, b});
// which appends a Node with edges to a's and b's nodes and the saved tensors.
#pragma once
#include <initializer_list>
#include <vector>

#include "tapegrad/autograd.h"
#include "tensor_impl.h"

namespace tg::autograd {

// True if grad mode is on and some input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

// The edge a gradient for `t` flows along: its grad_fn, or its leaf's AccumulateGrad node.
Edge gradient_edge(const Tensor& t);

struct RecordArgs {
  DimVector ints;
  PoolVector<double> scalars;
};

// Makes `output` a non-leaf produced by a new node of `op`; returns the node.
Node& record(const OpDef& op, std::initializer_list<const Tensor*> inputs, Tensor& output,
             std::initializer_list<Tensor> saved = {}, RecordArgs args = {});
Node& record(const OpDef& op, const std::vector<Tensor>& inputs, Tensor& output,
             std::initializer_list<Tensor> saved = {}, RecordArgs args = {});

uint64_t next_sequence_nr();

// The one place allowed to write a node's fields: record() and in-place ops (which move a node's
// output onto the tensor they modify).
struct NodeBuilder {
  static void set_output_meta(Node& node, TensorMeta meta) { node.output_meta_ = std::move(meta); }
  template <typename Inputs, typename Get>
  static Node& record(const OpDef& op, const Inputs& inputs, Get get, Tensor& output,
                      std::initializer_list<Tensor> saved, RecordArgs& args);
};

}  // namespace tg::autograd
