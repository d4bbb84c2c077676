// The Tape (tapegrad/tape.h): what it records, the traced backward, its text, DOT, SVG and JSON
// forms; node hooks. The HTML viewer is tested in a real browser by tests/browser.
#include <gtest/gtest.h>
#include <tapegrad/tapegrad.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

using tg::Tensor;
using tg::autograd::Tape;
using tg::autograd::TapeTensor;

namespace {

auto f64(bool requires_grad = false) { return tg::TensorOptions().dtype(tg::kFloat64).requires_grad(requires_grad); }

// one neuron: y = sigmoid(w . x + b), loss = (y - 1)^2
struct Neuron {
  Tensor w = tg::tensor({0.5, -0.3}, f64(true));
  Tensor b = tg::tensor({0.1}, f64(true));
  Tensor x = tg::tensor({1.0, 2.0}, f64());
  Tensor loss;
  Tensor forward() {
    Tensor z = (w * x).sum(0, true) + b;
    Tensor y = tg::sigmoid(z);
    loss = ((y - 1.0) * (y - 1.0)).sum();
    return loss;
  }
};

const TapeTensor& named(const Tape& tape, const std::string& name) {
  for (const TapeTensor& t : tape.tensors())
    if (t.name == name) return t;
  throw std::runtime_error("no tensor named " + name);
}

std::string read(const std::string& path) {
  std::ifstream file(path);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

}  // namespace

TEST(Tape, RecordsEveryNodeWithItsInputsOutputsAndValues) {
  Neuron n;
  Tape tape;
  tape.watch(n.w, "w");
  tape.watch(n.x, "x");
  n.forward();
  // mul, sum, add, sigmoid, sub (scalar), mul, sum
  std::vector<std::string> names;
  for (const auto& node : tape.nodes()) names.push_back(node.name);
  ASSERT_GE(names.size(), 6u);
  EXPECT_EQ(names[0], "mul");
  EXPECT_EQ(names[1], "sum");
  EXPECT_EQ(names[3], "sigmoid");
  // the first node reads w and x by name, and its output holds w * x
  const auto& mul = tape.nodes()[0];
  ASSERT_EQ(mul.inputs.size(), 2u);
  EXPECT_EQ(tape.tensors()[mul.inputs[0]].name, "w");
  EXPECT_EQ(tape.tensors()[mul.inputs[0]].kind, TapeTensor::Kind::Leaf);
  EXPECT_EQ(tape.tensors()[mul.inputs[1]].name, "x");
  EXPECT_EQ(tape.tensors()[mul.inputs[1]].kind, TapeTensor::Kind::Constant);
  const TapeTensor& product = tape.tensors()[mul.outputs[0]];
  EXPECT_EQ(product.producer, 0);
  EXPECT_EQ(product.value.str(), "[0.5, -0.6]");
  // the sigmoid's output value is sigmoid(0.5 - 0.6 + 0.1) = sigmoid(0) = 0.5
  EXPECT_EQ(tape.tensors()[tape.nodes()[3].outputs[0]].value.str(), "0.5");
  // sequence numbers grow in recording order
  for (std::size_t i = 1; i < tape.nodes().size(); ++i)
    EXPECT_GT(tape.nodes()[i].sequence_nr, tape.nodes()[i - 1].sequence_nr);
}

TEST(Tape, BackwardTracesEveryStepAndAgreesWithPlainBackward) {
  Neuron plain;
  plain.forward().backward();

  Neuron n;
  Tape tape;
  tape.watch(n.w, "w");
  tape.watch(n.b, "b");
  tape.backward(n.forward());
  // every recorded node is processed once, plus one accumulation per leaf (w, b)
  EXPECT_EQ(tape.steps().size(), tape.nodes().size() + 2);
  EXPECT_TRUE(tg::allclose(n.w.grad(), plain.w.grad(), 0, 0));
  EXPECT_TRUE(tg::allclose(n.b.grad(), plain.b.grad(), 0, 0));
  // newest first: the first step is the last node recorded, and the root's gradient is 1
  EXPECT_EQ(tape.step(1).sequence_nr, tape.nodes().back().sequence_nr);
  EXPECT_EQ(tape.step(1).grad_outputs.at(0).str(), "1");
  // the accumulation into w: the step names the leaf and holds its .grad()
  bool found = false;
  for (const auto& step : tape.steps()) {
    if (step.leaf < 0 || step.leaf_name != "w") continue;
    found = true;
    EXPECT_EQ(step.backward_name, "AccumulateGrad");
    ASSERT_TRUE(step.accumulated.value.defined());
    EXPECT_TRUE(tg::allclose(step.accumulated.value, plain.w.grad(), 0, 0));
    EXPECT_EQ(named(tape, "w").grad_step, step.index);
  }
  EXPECT_TRUE(found);
  // the sigmoid step applies grad * result * (1 - result) with result = 0.5 and sends a quarter of
  // what arrived: d/dz (y - 1)^2 = 2 (y - 1) = -1 at y = 0.5, times 0.25
  for (const auto& step : tape.steps()) {
    if (step.backward_name != "SigmoidBackward0") continue;
    EXPECT_EQ(step.grad_outputs[0].str(), "-1");
    EXPECT_EQ(step.grad_inputs[0].str(), "-0.25");
    ASSERT_EQ(step.substituted.size(), 1u);
    EXPECT_EQ(step.substituted[0], "grad_self = (-1) * 0.5 * (1 - 0.5) = -0.25");
  }
  EXPECT_THROW(tape.backward(n.loss), tg::Error);  // one traced backward per Tape
}

TEST(Tape, StepIndexOutOfRangeNamesTheRange) {
  Neuron n;
  Tape tape;
  tape.backward(n.forward());
  try {
    tape.step(0);
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("step 0 does not exist"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tape.step(tape.steps().size() + 1), tg::Error);
  std::ostringstream out;
  out << tape.step(1);
  EXPECT_NE(out.str().find("step 1: "), std::string::npos) << out.str();
}

TEST(Tape, TableListsLeavesAndNodesInAlignedColumns) {
  Neuron n;
  Tape tape;
  tape.watch(n.w, "w");
  n.forward();
  const std::string table = tape.table();
  EXPECT_NE(table.find("w "), std::string::npos) << table;
  EXPECT_NE(table.find("[0.5, -0.3]"), std::string::npos) << table;
  EXPECT_NE(table.find("MulBackward0"), std::string::npos) << table;
  EXPECT_NE(table.find("SigmoidBackward0"), std::string::npos) << table;
  // the op column starts at the same offset on every node row
  std::istringstream lines(table.substr(table.find("Nodes")));
  std::string line;
  std::getline(lines, line);  // title
  std::getline(lines, line);  // header
  const std::size_t op_column = line.find("op");
  std::getline(lines, line);  // rule
  int rows = 0;
  while (std::getline(lines, line) && !line.empty()) {
    ASSERT_GT(line.size(), op_column);
    EXPECT_NE(line[op_column], ' ') << line;
    EXPECT_EQ(line[op_column - 1], ' ') << line;
    ++rows;
  }
  EXPECT_EQ(rows, static_cast<int>(tape.nodes().size()));
}

TEST(Tape, LargeTensorsAreSummarised) {
  Tensor w = tg::arange(1000, f64()).requires_grad_();
  Tape tape;
  tape.watch(w, "w");
  Tensor s = (w * 2.0).sum();
  const TapeTensor& doubled = tape.tensors()[tape.nodes()[0].outputs[0]];
  EXPECT_EQ(doubled.value.str(), "[1000] mean 999 min 0 max 1998");
  Tape::current()->stop();
  EXPECT_EQ(Tape::current(), nullptr);
  (void)s;
}

TEST(Tape, DotShowsOpsTensorsValuesAndGradients) {
  Neuron n;
  Tape tape;
  tape.watch(n.w, "w");
  tape.backward(n.forward());
  const std::string dot = tape.to_dot();
  EXPECT_EQ(dot.rfind("digraph tape {", 0), 0u);
  const int w = named(tape, "w").id;
  // w as a named tensor node with its value and its gradient, and an edge from w into the mul
  EXPECT_NE(dot.find("t" + std::to_string(w) + " [id=\"t" + std::to_string(w) + "\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("<b>w</b>"), std::string::npos) << dot;
  EXPECT_NE(dot.find("grad " + named(tape, "w").grad.str()), std::string::npos) << dot;
  EXPECT_NE(dot.find("t" + std::to_string(w) + " -> op0"), std::string::npos) << dot;
  EXPECT_NE(dot.find("MulBackward0"), std::string::npos);
}

TEST(Tape, WriteSvgRendersWithGraphvizAndReportsBadPaths) {
  Neuron n;
  Tape tape;
  tape.watch(n.w, "w");
  tape.backward(n.forward());
  const auto dir = std::filesystem::temp_directory_path() / "tg_test_tape_svg";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "neuron.svg").string();
  tape.write_svg(path);
  const std::string svg = read(path);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("id=\"op0\""), std::string::npos);  // Graphviz keeps the node ids
  EXPECT_NE(svg.find(">w</text>"), std::string::npos);
  try {
    tape.write_svg((dir / "missing-dir" / "x.svg").string());
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing-dir"), std::string::npos) << e.what();
  }
}

TEST(Tape, JsonHoldsNodesEdgesValuesAndSteps) {
  Neuron n;
  Tape tape;
  tape.watch(n.w, "w");
  tape.backward(n.forward());
  const auto j = nlohmann::json::parse(tape.to_json());
  EXPECT_EQ(j["format"], "tapegrad-tape-1");
  ASSERT_EQ(j["nodes"].size(), tape.nodes().size());
  ASSERT_EQ(j["steps"].size(), tape.steps().size());
  EXPECT_EQ(j["nodes"][0]["backward_name"], "MulBackward0");
  const auto& w = j["tensors"][named(tape, "w").id];
  EXPECT_EQ(w["kind"], "leaf");
  EXPECT_EQ(w["value"]["values"], (std::vector<double>{0.5, -0.3}));
  std::vector<double> grad(w["grad"]["values"].begin(), w["grad"]["values"].end());
  ASSERT_EQ(grad.size(), 2u);
  EXPECT_DOUBLE_EQ(grad[0], n.w.grad()[0].item<double>());
  EXPECT_DOUBLE_EQ(grad[1], n.w.grad()[1].item<double>());
  EXPECT_FALSE(j["edges"].empty());
}

namespace {
struct Cube : public tg::autograd::Function<Cube> {
  static constexpr const char* formula = "grad_x = grad * 3 x^2";
  static Tensor forward(tg::autograd::AutogradContext* ctx, Tensor x) {
    ctx->save_for_backward({x});
    return x * x * x;
  }
  static tg::autograd::variable_list backward(tg::autograd::AutogradContext* ctx,
                                              tg::autograd::variable_list grad_outputs) {
    Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * 3.0 * x * x};
  }
};
}  // namespace

TEST(Tape, CustomFunctionIsRecordedTracedAndDrawnLikeABuiltInOp) {
  Tensor x = tg::tensor({2.0}, f64(true));
  Tape tape;
  tape.watch(x, "x");
  Tensor y = Cube::apply(x).sum();
  ASSERT_EQ(tape.nodes().size(), 2u);  // Cube's own ops run with grad mode off: one node
  const auto cube = tape.nodes()[0];
  EXPECT_EQ(cube.backward_name, y.grad_fn()->next_edges()[0].function->backward_name());
  EXPECT_NE(cube.backward_name.find("Cube"), std::string::npos) << cube.backward_name;
  EXPECT_EQ(cube.formula, "grad_x = grad * 3 x^2");
  EXPECT_EQ(tape.tensors()[cube.inputs[0]].name, "x");
  EXPECT_EQ(tape.tensors()[cube.outputs[0]].value.str(), "8");
  tape.backward(y);
  bool traced = false;
  for (const auto& step : tape.steps())
    if (step.node == 0) {
      traced = true;
      EXPECT_EQ(step.grad_inputs[0].str(), "12");  // 3 x^2 at x = 2
      EXPECT_EQ(step.substituted[0], "grad_x = 1 * 3 x^2 = 12");
    }
  EXPECT_TRUE(traced);
  EXPECT_NE(tape.to_dot().find(cube.backward_name), std::string::npos);
}

TEST(Tape, RecordsOnlyItsOwnThreadAndDoesNotNest) {
  Tape tape;
  EXPECT_EQ(Tape::current(), &tape);
  EXPECT_THROW(Tape second, tg::Error);
  Tensor a = tg::tensor({1.0}, f64(true));
  std::thread other([&] {
    EXPECT_EQ(Tape::current(), nullptr);
    Tensor b = a * 3.0;  // recorded on the graph, not on this thread's (absent) tape
    EXPECT_TRUE(b.requires_grad());
  });
  other.join();
  EXPECT_TRUE(tape.nodes().empty());
  Tensor c = a * 2.0;
  EXPECT_EQ(tape.nodes().size(), 1u);
  tape.stop();
  Tensor d = a * 4.0;
  EXPECT_EQ(tape.nodes().size(), 1u);
}

TEST(Tape, WatchAfterTheFactRenamesAnOutput) {
  Tensor a = tg::tensor({1.0, 2.0}, f64(true));
  Tape tape;
  Tensor h = a * a;
  tape.watch(h, "h");
  EXPECT_EQ(tape.tensors()[tape.nodes()[0].outputs[0]].name, "h");
}

// ---- node hooks (PyTorch 2's grad_fn.register_prehook / register_hook) ----

TEST(NodeHooks, PrehookSeesAndReplacesTheIncomingGradient) {
  Tensor x = tg::tensor({1.0, 2.0}, f64(true));
  Tensor y = x * 3.0;
  std::vector<double> seen;
  y.grad_fn()->register_prehook([&](const tg::autograd::variable_list& grad_outputs) {
    seen.push_back(grad_outputs[0].sum().item<double>());
    return tg::autograd::variable_list{grad_outputs[0] * 10.0};
  });
  y.sum().backward();
  EXPECT_EQ(seen, (std::vector<double>{2.0}));                           // ones of shape [2]
  EXPECT_TRUE(tg::allclose(x.grad(), tg::tensor({30.0, 30.0}, f64())));  // 10 * 3
}

TEST(NodeHooks, HookSeesBothSidesAndReplacesWhatIsSent) {
  Tensor a = tg::tensor({2.0}, f64(true));
  Tensor b = tg::tensor({5.0}, f64(true));
  Tensor y = a * b;
  double received = 0, sent_to_a = 0;
  unsigned handle = y.grad_fn()->register_hook(
      [&](const tg::autograd::variable_list& grad_inputs, const tg::autograd::variable_list& grad_outputs) {
        received = grad_outputs[0].item<double>();
        sent_to_a = grad_inputs[0].item<double>();
        return tg::autograd::variable_list{grad_inputs[0], tg::zeros_like(grad_inputs[1])};  // block b
      });
  (y * 7.0).backward(/*gradient=*/{}, /*retain_graph=*/true);
  EXPECT_EQ(received, 7.0);
  EXPECT_EQ(sent_to_a, 35.0);  // 7 * b
  EXPECT_EQ(a.grad().item<double>(), 35.0);
  EXPECT_EQ(b.grad().item<double>(), 0.0);
  y.grad_fn()->remove_hook(handle);
  a.mutable_grad().zero_();
  (y * 7.0).backward();
  EXPECT_EQ(b.grad().item<double>(), 14.0);  // the hook is gone: 7 * a
}

TEST(NodeHooks, AHookReturningTheWrongCountIsAnErrorNamingTheNode) {
  Tensor a = tg::tensor({2.0}, f64(true));
  Tensor y = a * a;
  y.grad_fn()->register_hook([](const tg::autograd::variable_list& grad_inputs, const tg::autograd::variable_list&) {
    return tg::autograd::variable_list{grad_inputs[0], grad_inputs[0], grad_inputs[0]};
  });
  try {
    y.backward();
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("MulBackward0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("returned 3 gradients for 2 inputs"), std::string::npos) << e.what();
  }
}

// ---- every equation the trace prints is true ----

namespace {
const tg::autograd::TapeStep& step_named(const Tape& tape, const std::string& backward_name) {
  for (const auto& s : tape.steps())
    if (s.backward_name == backward_name) return s;
  throw std::runtime_error("no step " + backward_name);
}
}  // namespace

TEST(TapeTrace, SubtractionShowsTheAlphaTheUserGave) {
  Tensor a = tg::tensor({3.0}, f64(true)), b = tg::tensor({1.0}, f64(true));
  Tape tape;
  tape.backward(tg::sub(a, b, 2.0).sum());
  const auto& sub = step_named(tape, "SubBackward0");
  ASSERT_EQ(sub.substituted.size(), 2u);
  EXPECT_EQ(sub.substituted[1], "grad_other = -2 * 1 = -2");
  EXPECT_EQ(b.grad().item<double>(), -2.0);
}

TEST(TapeTrace, ABroadcastInputShowsTheSumTheEngineMade) {
  Tensor x = tg::tensor({{1.0}, {2.0}}, f64()), b = tg::tensor({0.5}, f64(true));
  Tape tape;
  tape.watch(b, "b");
  tape.backward((x + b).sum());
  const auto& add = step_named(tape, "AddBackward0");
  ASSERT_EQ(add.substituted.size(), 2u);
  EXPECT_EQ(add.substituted[1], "grad_other = 1 * [[1], [1]] = [[1], [1]], summed to the input's shape [1]: 2")
      << add.substituted[1];
  EXPECT_EQ(add.grad_inputs_before_sum[1].str(), "[[1], [1]]");
  EXPECT_EQ(b.grad().item<double>(), 2.0);
}

TEST(TapeTrace, AGradientThatCameBySeveralPathsSaysHowItWasSummed) {
  Tensor a = tg::tensor({2.0}, f64(true));
  Tape tape;
  tape.watch(a, "a");
  Tensor h = a * 3.0;
  tape.watch(h, "h");
  tape.backward((h * h + h).sum());  // dL/dh = 2h + 1 = 13: h * h sends h twice, the add once
  const auto& mul = step_named(tape, "MulScalarBackward0");
  ASSERT_FALSE(mul.notes.empty());
  EXPECT_EQ(mul.notes[0],
            "h arrived by 3 paths and was summed: 1 (from step 2, AddBackward0) + 6 (from step 3, MulBackward0) + 6 "
            "(from step 3, MulBackward0) = 13");
  EXPECT_EQ(mul.grad_outputs[0].str(), "13");
}

TEST(TapeTrace, HooksAreNamedAndTheRuleIsNotClaimedToGiveTheirResult) {
  Tensor a = tg::tensor({2.0}, f64(true));
  Tape tape;
  Tensor y = a * a;
  y.grad_fn()->register_hook([](const tg::autograd::variable_list& grad_inputs, const tg::autograd::variable_list&) {
    return tg::autograd::variable_list{grad_inputs[0] * 0 + 7, grad_inputs[1] * 0 + 7};
  });
  tape.backward(y.sum());
  const auto& mul = step_named(tape, "MulBackward0");
  EXPECT_TRUE(mul.hooks_ran);
  ASSERT_FALSE(mul.notes.empty());
  EXPECT_NE(mul.notes.back().find("node hooks ran"), std::string::npos);
  EXPECT_EQ(mul.substituted[0], "grad_self = 1 * 2");  // the rule, without a false "= 7"
  EXPECT_EQ(mul.grad_inputs[0].str(), "7");
}

TEST(TapeTrace, TheStepThatRaisesIsKeptInTheTrace) {
  Tensor a = tg::tensor({0.0}, f64(true));
  Tape tape;
  Tensor loss = tg::sqrt(a).sum();
  tg::autograd::DetectAnomalyGuard anomaly;
  EXPECT_THROW(tape.backward(loss), tg::Error);
  ASSERT_EQ(tape.steps().size(), 2u);
  const auto& failed = tape.steps().back();
  EXPECT_EQ(failed.backward_name, "SqrtBackward0");
  EXPECT_EQ(failed.grad_outputs[0].str(), "1");
  ASSERT_FALSE(failed.notes.empty());
  EXPECT_NE(failed.notes.back().find("this step raised an error: "), std::string::npos);
  EXPECT_NE(failed.notes.back().find("SqrtBackward0"), std::string::npos) << failed.notes.back();
}

TEST(TapeTrace, SaysWhatToDoWhenNothingWasTracedOrRecorded) {
  Tensor a = tg::tensor({2.0}, f64(true));
  Tensor before = (a * a).sum();  // recorded before the Tape
  Tape tape;
  EXPECT_NE(tape.table().find("create it before the forward pass"), std::string::npos) << tape.table();
  EXPECT_NE(tape.trace().find("call tape.backward(loss)"), std::string::npos);
  try {
    tape.step(1);
    FAIL();
  } catch (const tg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no backward was traced yet"), std::string::npos) << e.what();
  }
  tape.backward(before);
  EXPECT_NE(tape.step(1).notes.at(0).find("recorded before the Tape started"), std::string::npos);
}
