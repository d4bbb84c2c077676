// The one generic gradient test: every sample of every op-table entry goes through gradcheck and
// gradgradcheck in float64; and every op that owns a vjp must have a table entry.
#include <gtest/gtest.h>

#include <set>

#include "tapegrad/tapegrad.h"
#include "tapegrad/testing.h"

namespace {

using tg::testing::OpInfo;

struct Case {
  const OpInfo* op;
  std::size_t sample;
  std::string description;
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const OpInfo& op : tg::testing::op_table()) {
    auto samples = op.samples();
    for (std::size_t i = 0; i < samples.size(); ++i) cases.push_back({&op, i, samples[i].description});
  }
  return cases;
}

void PrintTo(const Case& c, std::ostream* out) { *out << c.op->name << " on " << c.description; }

class OpTable : public ::testing::TestWithParam<Case> {};

TEST_P(OpTable, GradcheckAndGradgradcheck) {
  const Case& c = GetParam();
  auto samples = c.op->samples();
  const auto& inputs = samples[c.sample].inputs;
  SCOPED_TRACE(c.op->name + " on " + c.description);
  EXPECT_NO_THROW(tg::autograd::gradcheck(c.op->fn, inputs, c.op->eps, c.op->atol, c.op->rtol))
      << [&] {
           try {
             tg::autograd::gradcheck(c.op->fn, inputs, c.op->eps, c.op->atol, c.op->rtol);
           } catch (const std::exception& e) {
             return std::string(e.what());
           }
           return std::string();
         }();
  if (c.op->check_gradgrad) {
    try {
      tg::autograd::gradgradcheck(c.op->fn, inputs, c.op->eps, c.op->atol, c.op->rtol);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "gradgradcheck: " << e.what();
    }
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.op->name + "_" + std::to_string(info.param.sample);
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpTable, ::testing::ValuesIn(all_cases()), case_name);

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
    if (op.primitive) EXPECT_TRUE(registered.count(op.name)) << "table entry '" << op.name << "' is marked primitive but no OpDef has that name";
}

// Every node any table entry records (composites included) belongs to a registered op: an op
// that records itself under a name missing from registered_ops() would escape the coverage test.
TEST(OpTableCoverage, EveryRecordedNodeIsARegisteredOp) {
  std::set<std::string> registered{"accumulate_grad"};
  for (const auto* def : tg::autograd::registered_ops()) registered.insert(def->name);
  for (const OpInfo& op : tg::testing::op_table()) {
    for (const auto& s : op.samples()) {
      tg::Tensor out = op.fn(s.inputs);
      for (const auto& node : tg::autograd::collect_tape(out))
        EXPECT_TRUE(registered.count(node->name())) << op.name << " recorded unregistered node " << node->name();
    }
  }
}

}  // namespace
