// Checking ops: the op table (every differentiable op of tapegrad with sample inputs, forward
// references, error samples and tolerances) and check_op, which runs the checks on one entry.
// For tests: link tapegrad::testing (it is not part of libtapegrad).
//
// Checking an op of your own with one call (throws tg::Error naming what failed):
//   tg::testing::OpInfo softsign{
//       .name = "softsign",
//       .samples = [] { return std::vector<tg::testing::OpSample>{
//           {.description = "[2, 3]", .inputs = {tg::randn({2, 3}, tg::kFloat64).requires_grad_()},
//            .call = [](const tg::testing::Inputs& in) { return in[0] / (1.0 + in[0].abs()); },
//            .reference = my_naive_softsign}}; },
//       .error_samples = [] { return std::vector<tg::testing::ErrorSample>{
//           {.description = "undefined input", .inputs = {tg::Tensor()}, .call = ...,
//            .message = "abs: input is an undefined tensor"}}; }};
//   tg::testing::check_op(softsign);
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tapegrad/autograd.h"
#include "tapegrad/safetensors.h"

namespace tg::testing {

/// The inputs of one call of an op.
using Inputs = std::vector<Tensor>;
/// A call of an op on its inputs (the same type gradcheck takes).
using OpFn = autograd::TensorFn;

/// One sample of an op: inputs, the call, and the reference its forward output is compared with.
/// Exactly one of `pytorch` and `reference` is set.
struct OpSample {
  /// What the sample shows, e.g. "[3, 1] and [1, 4] broadcast"; failure messages name it.
  std::string description;
  /// float64 where differentiated (gradcheck needs it); Int64 indices and Bool masks as the op takes them.
  Inputs inputs;
  /// inputs -> the op's output; gradcheck and gradgradcheck differentiate it.
  OpFn call;
  /// The PyTorch equivalent, a Python expression over the inputs named a, b, c, d, e (with torch,
  /// F = torch.nn.functional and D = torch.float64 in scope), e.g. "torch.add(a, b, alpha=2.0)".
  /// tests/fixtures/gen_op_reference.py evaluates it into a committed file read through References.
  std::string pytorch;
  /// For ops PyTorch has no equivalent of: a naive loop computing the expected output.
  OpFn reference;
};

/// An input an op must reject: calling `call` on `inputs` must throw a tg::Error whose message
/// contains `message`.
struct ErrorSample {
  /// What is wrong with the input, e.g. "Int64 input".
  std::string description;
  /// The bad inputs (undefined tensors allowed).
  Inputs inputs;
  /// inputs -> the op's output (expected to throw).
  OpFn call;
  /// A fragment of the expected tg::Error message, e.g. "exp: expected a floating-point tensor".
  std::string message;
};

/// One entry of the op table: an op, its samples and error samples, and how closely to check it.
struct OpInfo {
  /// The op's name; for a primitive, the name its node records (an OpDef's name).
  std::string name;
  /// True for an op that owns a vjp (an OpDef in autograd::registered_ops()): each sample must
  /// record a node of that name. False for a composition of other ops (mean, softmax, layer_norm).
  bool primitive = false;
  /// Makes the samples (called afresh by each check, so that the table itself holds no tensors).
  std::function<std::vector<OpSample>()> samples;
  /// Makes the error samples (may be empty for an op that rejects nothing).
  std::function<std::vector<ErrorSample>()> error_samples;
  /// Finite-difference step and tolerances of gradcheck and gradgradcheck for this op.
  double eps = 1e-6;
  /// Absolute tolerance of gradcheck and gradgradcheck.
  double atol = 1e-5;
  /// Relative tolerance of gradcheck and gradgradcheck.
  double rtol = 1e-3;
  /// False where second derivatives are not checked.
  bool check_gradgrad = true;
  /// Forward output vs reference: |out - ref| <= forward_atol + forward_rtol * |ref| elementwise.
  double forward_atol = 1e-12;
  /// Relative tolerance of the forward comparison.
  double forward_rtol = 1e-10;
};

/// tapegrad's op table: every differentiable op (each registered OpDef has a primitive entry, and
/// composite entries cover the ops built from them). Built by an explicit function on first use,
/// never by static registration.
const std::vector<OpInfo>& op_table();

/// The committed PyTorch outputs of samples that have a `pytorch` expression, with the inputs they
/// were computed from (tests/fixtures/op_reference.safetensors, written by
/// tests/fixtures/gen_op_reference.py; keys "<entry>/<sample>/input<i>" and "<entry>/<sample>/output").
class References {
 public:
  /// Reads the file; throws tg::Error if it is missing or not a valid safetensors file.
  static References load(const std::string& path);
  /// The expected output of sample `index` of entry `entry`. Throws tg::Error saying how to
  /// regenerate the file when it has no such sample or was made from other inputs or another
  /// expression than `sample`'s (so a changed sample is never compared with a stale output).
  Tensor expected(const std::string& entry, std::size_t index, const OpSample& sample) const;
  /// Every (entry, sample index) the file holds, in file order.
  std::vector<std::pair<std::string, std::size_t>> samples() const;
  /// The file's path.
  const std::string& path() const { return path_; }
  /// How to regenerate the file (stored in its metadata by the generator).
  std::string regenerate() const;

 private:
  std::string path_;
  safetensors::File file_;
};

/// What the checks compare forward outputs with.
struct CheckOptions {
  /// Where samples with a `pytorch` expression find their expected output; without it such a
  /// sample fails (samples with a naive `reference` need nothing).
  const References* references = nullptr;
};

/// Checks sample `index` of `info`: the forward output against its reference, then gradcheck and,
/// if info.check_gradgrad, gradgradcheck (with info's tolerances); a primitive's sample must record
/// a node named info.name. Returns normally when every check passes, else throws one tg::Error
/// naming the entry, the sample and each check that failed.
void check_sample(const OpInfo& info, std::size_t index, const CheckOptions& options = {});

/// Checks error sample `index` of `info`: its call must throw a tg::Error containing its message.
/// Throws tg::Error naming the entry, the error sample and what happened instead.
void check_error_sample(const OpInfo& info, std::size_t index);

/// Runs check_sample on every sample and check_error_sample on every error sample of `info`
/// (an entry without samples fails). Returns normally when all pass, else throws one tg::Error
/// listing every failure, one per line.
void check_op(const OpInfo& info, const CheckOptions& options = {});

/// The key prefix of sample `index` of entry `entry` in a References file: "<entry>/<index>".
std::string reference_key(const std::string& entry, std::size_t index);

/// Writes the inputs and PyTorch expression of every sample of `table` that has one, in the layout
/// tests/fixtures/gen_op_reference.py reads (used by the program tg_dump_op_samples).
void write_sample_inputs(const std::vector<OpInfo>& table, const std::string& path);

}  // namespace tg::testing
