// tapegrad's op table and the checks it drives, kept out of the shipped library: link
// tapegrad::testing (tests only).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tapegrad/autograd.h"

namespace tg::testing {

using autograd::TensorFn;

// One set of sample inputs for an op.
struct OpSample {
  std::vector<Tensor> inputs;  // float64 inputs (int64 index inputs where an op takes them)
  std::string description;     // e.g. "[3, 1] * [1, 4] broadcast"
};

// One op-table entry.
struct OpInfo {
  std::string name;  // the op's name (for a primitive, the name its node records)
  bool primitive;    // owns a vjp (an OpDef) vs composed from other ops
  TensorFn fn;
  std::function<std::vector<OpSample>()> samples;
  bool check_gradgrad = true;
  double eps = 1e-6;  // finite-difference step and tolerances for this op's checks
  double atol = 1e-5;
  double rtol = 1e-3;
};

// Every differentiable op with sample inputs. Built by an explicit function (no static
// registration), so a static link needs nothing special.
const std::vector<OpInfo>& op_table();

}  // namespace tg::testing
