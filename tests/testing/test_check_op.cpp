// tg::testing::check_op on entries written the way a user checks an op of their own: a correct
// one passes with one call, and each kind of mistake (wrong reference, wrong error message, wrong
// gradient, a primitive that records no node of its name, a stale PyTorch reference) makes it
// throw a tg::Error naming the entry, the sample and the check.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "tapegrad/tapegrad.h"
#include "tapegrad/testing.h"

namespace {

using tg::Tensor;
using tg::testing::ErrorSample;
using tg::testing::Inputs;
using tg::testing::OpInfo;
using tg::testing::OpSample;

// softsign(x) = x / (1 + |x|), composed from tapegrad ops.
Tensor softsign(const Tensor& x) { return x / (1.0 + x.abs()); }

// Its reference: a naive loop over the values.
Tensor naive_softsign(const Inputs& in) {
  Tensor x = in[0].detach().contiguous();
  Tensor out = tg::empty(x.sizes(), tg::kFloat64);
  for (int64_t i = 0; i < x.numel(); ++i) {
    double v = x.data_ptr<double>()[i];
    out.data_ptr<double>()[i] = v / (1 + (v < 0 ? -v : v));
  }
  return out;
}

Tensor sample_input(tg::IntArrayRef sizes) {
  tg::manual_seed(3);
  return tg::randn(sizes, tg::kFloat64).requires_grad_();
}

OpInfo softsign_entry() {
  return OpInfo{
      .name = "softsign",
      .primitive = false,
      .samples =
          [] {
            return std::vector<OpSample>{
                {.description = "[2, 3]",
                 .inputs = {sample_input({2, 3})},
                 .call = [](const Inputs& in) { return softsign(in[0]); },
                 .reference = naive_softsign},
                {.description = "0-d",
                 .inputs = {sample_input({})},
                 .call = [](const Inputs& in) { return softsign(in[0]); },
                 .reference = naive_softsign},
            };
          },
      .error_samples =
          [] {
            return std::vector<ErrorSample>{{.description = "undefined input",
                                             .inputs = {Tensor()},
                                             .call = [](const Inputs& in) { return softsign(in[0]); },
                                             .message = "abs: input is an undefined tensor"}};
          },
  };
}

std::string failure_of(const OpInfo& info, const tg::testing::CheckOptions& options = {}) {
  try {
    tg::testing::check_op(info, options);
  } catch (const tg::Error& e) {
    return e.what();
  }
  return "";
}

TEST(CheckOp, AUserOpWithANaiveReferencePasses) { EXPECT_NO_THROW(tg::testing::check_op(softsign_entry())); }

TEST(CheckOp, AWrongReferenceFailsNamingTheEntryAndSample) {
  OpInfo info = softsign_entry();
  info.name = "softsign_wrong_reference";
  info.samples = [] {
    return std::vector<OpSample>{{.description = "[2, 3]",
                                  .inputs = {sample_input({2, 3})},
                                  .call = [](const Inputs& in) { return softsign(in[0]); },
                                  .reference = [](const Inputs& in) { return naive_softsign(in) * 1.001; }}};
  };
  std::string what = failure_of(info);
  EXPECT_NE(what.find("op 'softsign_wrong_reference', sample 0 ([2, 3]): forward: output"), std::string::npos) << what;
  EXPECT_EQ(what.find("gradcheck"), std::string::npos) << "the gradients are right: " << what;
}

TEST(CheckOp, AFloat32InputThatRequiresGradIsRefused) {
  OpInfo info = softsign_entry();
  info.samples = [] {
    return std::vector<OpSample>{{.description = "float32",
                                  .inputs = {sample_input({2}).detach().to(tg::kFloat32).requires_grad_()},
                                  .call = [](const Inputs& in) { return softsign(in[0]); },
                                  .reference = [](const Inputs& in) { return softsign(in[0].detach()); }}};
  };
  std::string what = failure_of(info);
  EXPECT_NE(what.find("sample 0 (float32): gradcheck: input 0 requires grad but is Float32"), std::string::npos)
      << what;
}

TEST(CheckOp, AWrongErrorFragmentFails) {
  OpInfo info = softsign_entry();
  auto good = info.error_samples;
  info.error_samples = [good] {
    auto errors = good();
    errors[0].message = "softsign: input must be defined";
    return errors;
  };
  std::string what = failure_of(info);
  EXPECT_NE(what.find("op 'softsign', error sample 0 (undefined input): expected a tg::Error containing "
                      "\"softsign: input must be defined\", got \"abs: input is an undefined tensor\""),
            std::string::npos)
      << what;
}

TEST(CheckOp, AnInputTheOpAcceptsFailsAsAnErrorSample) {
  OpInfo info = softsign_entry();
  info.error_samples = [] {
    return std::vector<ErrorSample>{{.description = "Int64 input (accepted: promoted)",
                                     .inputs = {tg::zeros({2}, tg::kInt64)},
                                     .call = [](const Inputs& in) { return softsign(in[0]); },
                                     .message = "expected a floating-point tensor"}};
  };
  std::string what = failure_of(info);
  EXPECT_NE(what.find("error sample 0 (Int64 input (accepted: promoted)): expected a tg::Error containing "
                      "\"expected a floating-point tensor\", but the call succeeded"),
            std::string::npos)
      << what;
}

// x.detach() * x has forward x^2, but its tape only sees one factor: gradcheck catches it.
TEST(CheckOp, AWrongGradientFailsGradcheck) {
  OpInfo info{.name = "square_with_a_detached_factor", .samples = [] {
                return std::vector<OpSample>{{.description = "[3]",
                                              .inputs = {sample_input({3})},
                                              .call = [](const Inputs& in) { return in[0].detach() * in[0]; },
                                              .reference = [](const Inputs& in) { return in[0].detach().square(); }}};
              }};
  std::string what = failure_of(info);
  EXPECT_NE(what.find("op 'square_with_a_detached_factor', sample 0 ([3]): gradcheck: "), std::string::npos) << what;
  EXPECT_EQ(what.find(": forward:"), std::string::npos) << what;
}

TEST(CheckOp, APrimitiveEntryMustRecordItsNode) {
  OpInfo info = softsign_entry();
  info.primitive = true;  // no OpDef named softsign records anything
  std::string what = failure_of(info);
  EXPECT_NE(
      what.find("op 'softsign', sample 0 ([2, 3]): tape: a primitive's sample must record a node named 'softsign'"),
      std::string::npos)
      << what;
}

TEST(CheckOp, AnEntryWithoutSamplesFails) {
  OpInfo info{.name = "nothing"};
  EXPECT_EQ(failure_of(info), "op 'nothing': no samples");
}

TEST(CheckOp, ASampleNeedsExactlyOneReference) {
  OpInfo info = softsign_entry();
  info.samples = [] {
    return std::vector<OpSample>{{.description = "none", .inputs = {sample_input({2})}, .call = [](const Inputs& in) {
                                    return softsign(in[0]);
                                  }}};
  };
  EXPECT_NE(failure_of(info).find("sample 0 (none): sample: it has no reference"), std::string::npos);
}

// A sample whose reference is a PyTorch output: check_op finds it in a References file, which
// must have been made from the same inputs and expression.
class CheckOpReferences : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        (std::filesystem::temp_directory_path() / ("tg_check_op_refs_" + std::to_string(::getpid()) + ".safetensors"))
            .string();
    // what tests/fixtures/gen_op_reference.py would write for entry "twice": input, output, expression
    Tensor x = sample_input({2, 2}).detach();
    tg::OrderedDict<std::string, Tensor> tensors("Tensor");
    tensors.insert("twice/0/input0", x);
    tensors.insert("twice/0/output", x * 2.0);
    tg::safetensors::save(path_, tensors, {{"twice/0/pytorch", "2 * a"}, {"regenerate", "make-the-file"}});
  }
  void TearDown() override { std::remove(path_.c_str()); }

  static OpInfo twice(std::function<Tensor()> input, std::string pytorch = "2 * a") {
    return OpInfo{.name = "twice", .samples = [input, pytorch] {
                    return std::vector<OpSample>{{.description = "[2, 2]",
                                                  .inputs = {input()},
                                                  .call = [](const Inputs& in) { return in[0] * 2.0; },
                                                  .pytorch = pytorch}};
                  }};
  }
  std::string path_;
};

TEST_F(CheckOpReferences, ASampleMatchingItsCommittedReferencePasses) {
  auto refs = tg::testing::References::load(path_);
  EXPECT_NO_THROW(tg::testing::check_op(twice([] { return sample_input({2, 2}); }), {.references = &refs}));
  ASSERT_EQ(refs.samples().size(), 1u);
  EXPECT_EQ(refs.samples()[0], std::make_pair(std::string("twice"), std::size_t{0}));
}

TEST_F(CheckOpReferences, WithoutAReferencesFileAPyTorchSampleFails) {
  std::string what = failure_of(twice([] { return sample_input({2, 2}); }));
  EXPECT_NE(what.find("no References file was given"), std::string::npos) << what;
}

TEST_F(CheckOpReferences, AChangedSampleAsksForRegenerationInsteadOfComparing) {
  auto refs = tg::testing::References::load(path_);
  std::string what = failure_of(twice([] { return sample_input({2, 2}) + 1.0; }), {.references = &refs});
  EXPECT_NE(what.find("was not made from the current sample twice/0 (input 0: same shape, other values): "
                      "regenerate it with make-the-file"),
            std::string::npos)
      << what;
  what = failure_of(twice([] { return sample_input({2, 2}); }, "a + a"), {.references = &refs});
  EXPECT_NE(what.find("PyTorch expression \"2 * a\" in the file, \"a + a\" now"), std::string::npos) << what;
  what = failure_of(twice([] { return sample_input({4}); }), {.references = &refs});
  EXPECT_NE(what.find("input 0: shape [2, 2] in the file, [4] now"), std::string::npos) << what;
}

}  // namespace
