// Sample builders shared by the op table's parts (op_table.cpp for tensor ops, op_table_nn.cpp for
// tg::nn::functional): deterministic inputs, and Entry, which writes one OpInfo as a chain
//   primitive("add").samples(call, torch("torch.add(a, b, alpha=2.0)"), inputs).error(...)
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/ops.h"
#include "tapegrad/testing.h"

namespace tg::testing::table {

// A small deterministic generator, independent of tg::manual_seed, so that every sample is the
// same whichever tests run before it (and the committed PyTorch references stay valid).
struct SampleRng {
  uint64_t state;
  double uniform() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
  }
};

// Every sample value is computed here, in plain double arithmetic: no library kernel (whose loops
// differ between instruction sets, tg::get_cpu_capability()) may shape an input, or the committed
// references would match one build and not another.
enum class Domain { Any, Positive, AwayFromZero, Unit, Probability, Distinct };

inline Tensor make(IntArrayRef sizes, Domain domain, uint64_t seed, bool requires_grad = true) {
  SampleRng rng{seed * 2654435761ULL + 12345};
  Tensor t = empty(sizes, kFloat64);
  double* p = t.data_ptr<double>();
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    double u = rng.uniform();
    switch (domain) {
      case Domain::Any: p[i] = 4 * u - 2; break;              // [-2, 2)
      case Domain::Positive: p[i] = 0.5 + 1.5 * u; break;     // [0.5, 2)
      case Domain::Unit: p[i] = 1.6 * u - 0.8; break;         // (-0.8, 0.8)
      case Domain::Probability: p[i] = 0.3 + 0.4 * u; break;  // [0.3, 0.7)
      case Domain::AwayFromZero: p[i] = (rng.uniform() < 0.5 ? -1 : 1) * (0.25 + 1.5 * u); break;
      case Domain::Distinct:  // well-separated values: no ties within 0.05
        p[i] = static_cast<double>((i * 7919) % (n + 3)) * 0.1 + 0.05 * u - 1;
        break;
    }
  }
  if (requires_grad) t.requires_grad_(true);
  return t;
}

inline Tensor index_tensor(std::vector<int64_t> values, IntArrayRef sizes) {
  return tensor(values, kInt64).reshape(sizes);
}
// A float64 tensor with the given values (no gradient): fixed rows for special cases.
inline Tensor values(std::vector<double> v, IntArrayRef sizes, bool requires_grad = true) {
  Tensor t = tensor(v, kFloat64).reshape(sizes).detach();
  if (requires_grad) t.requires_grad_(true);
  return t;
}
// Inputs for error samples: an Int64 tensor where an op wants floating point, a Bool one, none.
inline Tensor int64_input(IntArrayRef sizes) { return zeros(sizes, kInt64); }
inline Tensor bool_input(IntArrayRef sizes) { return zeros(sizes, kBool); }
inline Tensor undefined() { return Tensor(); }

// The inputs of one sample and what they show.
struct In {
  Inputs inputs;
  std::string description;
};
using InputSets = std::function<std::vector<In>()>;
// One input set.
inline InputSets one(std::string description, std::function<Inputs()> inputs) {
  return [inputs = std::move(inputs), description = std::move(description)] {
    return std::vector<In>{In{inputs(), description}};
  };
}
// One input set of one float64 tensor that requires grad.
inline InputSets one(std::string description, std::vector<int64_t> sizes, Domain domain, uint64_t seed) {
  return [description = std::move(description), sizes = std::move(sizes), domain, seed] {
    return std::vector<In>{In{{make(sizes, domain, seed)}, description}};
  };
}

// How a group of samples is checked: by a committed PyTorch output (the expression, over inputs
// a, b, c, ..., that tests/fixtures/gen_op_reference.py evaluates) or by a naive C++ loop.
struct Ref {
  std::string pytorch;
  OpFn naive;
};
inline Ref torch(std::string expression) { return {std::move(expression), {}}; }
inline Ref naive(OpFn loop) { return {{}, std::move(loop)}; }

// Calls an op on its first input, or its first two.
template <typename F>
OpFn un(F f) {
  return [f](const Inputs& in) { return f(in.at(0)); };
}
template <typename F>
OpFn bin(F f) {
  return [f](const Inputs& in) { return f(in.at(0), in.at(1)); };
}

// One OpInfo, written as a chain; converts to OpInfo. Samples are made lazily, when the entry's
// samples() is called, so that the table holds no tensors.
class Entry {
 public:
  Entry(std::string name, bool primitive) {
    info_.name = std::move(name);
    info_.primitive = primitive;
  }
  // One sample per input set, each called with `call` and checked against `ref`.
  Entry& samples(OpFn call, Ref ref, InputSets inputs) {
    groups_.push_back({std::move(call), std::move(ref), std::move(inputs)});
    return *this;
  }
  // An input the op must reject: `call` on `inputs` must throw a tg::Error containing `message`.
  Entry& error(std::string description, OpFn call, std::string message, std::function<Inputs()> inputs) {
    errors_.push_back({std::move(description), std::move(inputs), std::move(call), std::move(message)});
    return *this;
  }
  Entry& gradcheck_tolerance(double eps, double atol, double rtol) {
    info_.eps = eps;
    info_.atol = atol;
    info_.rtol = rtol;
    return *this;
  }
  Entry& forward_tolerance(double atol, double rtol) {
    info_.forward_atol = atol;
    info_.forward_rtol = rtol;
    return *this;
  }
  Entry& no_gradgrad() {
    info_.check_gradgrad = false;
    return *this;
  }

  operator OpInfo() const {  // NOLINT: the chain ends where an OpInfo is wanted
    OpInfo info = info_;
    info.samples = [groups = groups_] {
      std::vector<OpSample> out;
      for (const Group& g : groups)
        for (In& in : g.inputs())
          out.push_back(OpSample{std::move(in.description), std::move(in.inputs), g.call, g.ref.pytorch, g.ref.naive});
      return out;
    };
    info.error_samples = [errors = errors_] {
      std::vector<ErrorSample> out;
      for (const ErrorSpec& e : errors) out.push_back(ErrorSample{e.description, e.inputs(), e.call, e.message});
      return out;
    };
    return info;
  }

 private:
  struct Group {
    OpFn call;
    Ref ref;
    InputSets inputs;
  };
  struct ErrorSpec {
    std::string description;
    std::function<Inputs()> inputs;
    OpFn call;
    std::string message;
  };
  OpInfo info_;
  std::vector<Group> groups_;
  std::vector<ErrorSpec> errors_;
};

inline Entry primitive(std::string name) { return Entry(std::move(name), true); }
inline Entry composite(std::string name) { return Entry(std::move(name), false); }

}  // namespace tg::testing::table
