// The one generic op test. Every sample of every op-table entry goes through
// tg::testing::check_sample (forward output vs its reference, gradcheck and gradgradcheck in
// float64), every error sample through check_error_sample: one gtest case each, named
// <entry>_<sample>. Then coverage checks over the whole table: every op that owns a vjp has an
// entry, every node the samples record belongs to a registered OpDef, every entry has an error
// sample, and the committed PyTorch references hold nothing stale.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tapegrad/tapegrad.h"
#include "tapegrad/testing.h"

namespace {

using tg::testing::OpInfo;

const tg::testing::References& references() {
  static const tg::testing::References refs =
      tg::testing::References::load(std::string(TG_FIXTURES) + "/op_reference.safetensors");
  return refs;
}

struct Case {
  const OpInfo* op;
  std::size_t index;
  std::string description;
};

std::vector<Case> sample_cases() {
  std::vector<Case> cases;
  for (const OpInfo& op : tg::testing::op_table()) {
    auto samples = op.samples();
    for (std::size_t i = 0; i < samples.size(); ++i) cases.push_back({&op, i, samples[i].description});
  }
  return cases;
}

std::vector<Case> error_cases() {
  std::vector<Case> cases;
  for (const OpInfo& op : tg::testing::op_table()) {
    auto errors = op.error_samples ? op.error_samples() : std::vector<tg::testing::ErrorSample>{};
    for (std::size_t i = 0; i < errors.size(); ++i) cases.push_back({&op, i, errors[i].description});
  }
  return cases;
}

void PrintTo(const Case& c, std::ostream* out) { *out << c.op->name << " on " << c.description; }

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.op->name + "_" + std::to_string(info.param.index);
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

// The checks throw one tg::Error naming the entry, the sample and every check that failed.
template <typename F>
void expect_passes(F&& check) {
  try {
    check();
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
}

class OpSample : public ::testing::TestWithParam<Case> {};
TEST_P(OpSample, ForwardGradcheckGradgradcheck) {
  const Case& c = GetParam();
  tg::testing::CheckOptions options{.references = &references()};
  expect_passes([&] { tg::testing::check_sample(*c.op, c.index, options); });
}
INSTANTIATE_TEST_SUITE_P(AllOps, OpSample, ::testing::ValuesIn(sample_cases()), case_name);

class OpErrorSample : public ::testing::TestWithParam<Case> {};
TEST_P(OpErrorSample, IsRejectedWithItsMessage) {
  const Case& c = GetParam();
  expect_passes([&] { tg::testing::check_error_sample(*c.op, c.index); });
}
INSTANTIATE_TEST_SUITE_P(AllOps, OpErrorSample, ::testing::ValuesIn(error_cases()), case_name);

// ---------------------------------------------------------------- coverage

TEST(OpTableCoverage, EntryNamesAreUnique) {
  std::set<std::string> names;
  for (const OpInfo& op : tg::testing::op_table()) EXPECT_TRUE(names.insert(op.name).second) << op.name;
}

TEST(OpTableCoverage, EveryRegisteredOpHasAPrimitiveEntry) {
  std::set<std::string> primitives;
  for (const OpInfo& op : tg::testing::op_table())
    if (op.primitive) primitives.insert(op.name);
  for (const auto* def : tg::autograd::registered_ops())
    EXPECT_TRUE(primitives.count(def->name)) << "op '" << def->name << "' owns a vjp but has no op-table entry";
}

TEST(OpTableCoverage, EveryPrimitiveEntryIsARegisteredOp) {
  std::set<std::string> registered;
  for (const auto* def : tg::autograd::registered_ops()) registered.insert(def->name);
  for (const OpInfo& op : tg::testing::op_table())
    if (op.primitive)
      EXPECT_TRUE(registered.count(op.name))
          << "table entry '" << op.name << "' is marked primitive but no OpDef has that name";
}

TEST(OpTableCoverage, RegisteredOpsHaveDistinctNames) {
  std::map<std::string, const tg::autograd::OpDef*> seen;
  for (const auto* def : tg::autograd::registered_ops()) {
    auto [it, inserted] = seen.emplace(def->name, def);
    EXPECT_TRUE(inserted) << "two registered OpDefs are named '" << def->name << "'";
  }
}

// Every node any sample records (composites included) points at an OpDef reachable from
// registered_ops(): an op recording an OpDef missing from its file's add_*_ops list would escape
// the coverage test above.
TEST(OpTableCoverage, EveryRecordedNodeIsARegisteredOp) {
  std::set<const tg::autograd::OpDef*> registered(tg::autograd::registered_ops().begin(),
                                                  tg::autograd::registered_ops().end());
  for (const OpInfo& op : tg::testing::op_table()) {
    for (const auto& s : op.samples()) {
      tg::Tensor out = s.call(s.inputs);
      for (const auto& node : tg::autograd::collect_tape(out))
        if (!node->is_accumulate_grad())
          EXPECT_TRUE(registered.count(&node->op())) << op.name << " (" << s.description << ") recorded node '"
                                                     << node->name() << "', whose OpDef is not in registered_ops()";
    }
  }
}

// Every op carries its rule in math notation (printed by tools for each backward step), and the
// names of its state are distinct, so that a rule reading ctx.saved("self") gets one tensor.
TEST(OpTableCoverage, EveryRegisteredOpHasAFormulaAndDistinctStateNames) {
  for (const auto* def : tg::autograd::registered_ops()) {
    ASSERT_NE(def->formula, nullptr) << def->name;
    EXPECT_NE(std::string(def->formula), "") << "op '" << def->name << "' has no formula";
    EXPECT_NE(std::string(def->formula).find("grad"), std::string::npos) << def->name << ": " << def->formula;
    std::set<std::string> names;
    std::size_t count = 0;
    for (const auto* list : {&def->saved, &def->scalars, &def->int_lists})
      for (const char* n : *list)
        if (n) {
          names.insert(n);
          ++count;
        }
    EXPECT_EQ(names.size(), count) << "op '" << def->name << "' declares a state name twice";
  }
}

// Every node the table's samples record stores what its OpDef declares and nothing else: a saved
// slot the forward forgot to fill would surface as an undefined tensor in the rule.
TEST(OpTableCoverage, EveryRecordedNodeFillsItsDeclaredSavedTensors) {
  for (const OpInfo& op : tg::testing::op_table()) {
    for (const auto& s : op.samples()) {
      tg::Tensor out = s.call(s.inputs);
      for (const auto& node : tg::autograd::collect_tape(out)) {
        if (node->is_accumulate_grad()) continue;
        std::vector<tg::Tensor> saved = node->saved_tensors();
        for (std::size_t i = 0; i < saved.size(); ++i)
          EXPECT_TRUE(saved[i].defined())
              << op.name << ": node '" << node->name() << "' left saved tensor '" << node->op().saved[i] << "' empty";
      }
    }
  }
}

// Every op can be handed something it must refuse (an undefined tensor at least).
TEST(OpTableCoverage, EveryEntryHasAnErrorSample) {
  for (const OpInfo& op : tg::testing::op_table())
    EXPECT_TRUE(op.error_samples && !op.error_samples().empty()) << "op '" << op.name << "' has no error sample";
}

// The committed references hold exactly the samples with a PyTorch expression: a reference left
// behind by a removed sample means the file was not regenerated.
TEST(OpTableCoverage, CommittedReferencesMatchTheTable) {
  std::set<std::pair<std::string, std::size_t>> wanted;
  for (const OpInfo& op : tg::testing::op_table()) {
    auto samples = op.samples();
    for (std::size_t i = 0; i < samples.size(); ++i)
      if (!samples[i].pytorch.empty()) wanted.emplace(op.name, i);
  }
  std::size_t in_file = 0;
  for (const auto& [entry, index] : references().samples()) {
    ++in_file;
    EXPECT_TRUE(wanted.count({entry, index}))
        << references().path() << " holds a reference for " << tg::testing::reference_key(entry, index)
        << ", which is no sample with a PyTorch expression; regenerate it with " << references().regenerate();
  }
  EXPECT_EQ(in_file, wanted.size()) << "regenerate " << references().path() << " with " << references().regenerate();
}

}  // namespace
