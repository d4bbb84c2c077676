// The Tape (tape.h): recording, the traced backward, and its text and JSON forms. The pictures
// (DOT, SVG, HTML) are in tape_render.cpp.
#include "tapegrad/tape.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "observe.h"
#include "tape_internal.h"
#include "tapegrad/internal/tensor_impl.h"

namespace tg::autograd {

namespace {
thread_local Tape* current_tape = nullptr;

// A number as tools print it: 4 significant digits, "-0" as "0".
std::string num(double v) {
  if (v == 0) return "0";
  return fmt::format("{:.4g}", v);
}

void nested(std::string& out, const double* data, IntArrayRef sizes, std::size_t dim, int64_t& offset) {
  if (dim == sizes.size()) {
    out += num(data[offset++]);
    return;
  }
  out += '[';
  for (int64_t i = 0; i < sizes[dim]; ++i) {
    if (i) out += ", ";
    nested(out, data, sizes, dim + 1, offset);
  }
  out += ']';
}
}  // namespace

std::string format_number(double v) { return num(v); }

std::string TapeValue::str(int64_t max_shown) const {
  if (!defined) return "none";
  if (value.defined() && numel <= max_shown) {
    const double* data = value.data_ptr<double>();
    if (numel == 1) return num(data[0]);
    std::string out;
    int64_t offset = 0;
    nested(out, data, sizes, 0, offset);
    return out;
  }
  return fmt::format("{} mean {} min {} max {}", shape_str(sizes), num(mean), num(min), num(max));
}

std::ostream& operator<<(std::ostream& out, const TapeStep& step) {
  out << "step " << step.index << ": " << step.backward_name << " (#" << step.sequence_nr << ")\n";
  for (std::size_t k = 0; k < step.grad_outputs.size(); ++k)
    out << "  grad arriving" << (step.grad_outputs.size() > 1 ? fmt::format(" at output {}", k) : "") << ": "
        << step.grad_outputs[k].str() << "\n";
  for (const std::string& note : step.notes) out << "  note: " << note << "\n";
  if (!step.formula.empty()) out << "  rule: " << step.formula << "\n";
  for (const std::string& s : step.substituted) out << "        " << s << "\n";
  for (std::size_t i = 0; i < step.grad_inputs.size(); ++i)
    out << "  sends to input " << i
        << (i < step.grad_input_names.size() && !step.grad_input_names[i].empty()
                ? " (" + step.grad_input_names[i] + ")"
                : std::string())
        << ": " << (step.grad_inputs[i].defined ? step.grad_inputs[i].str() : std::string("none (needs no gradient)"))
        << "\n";
  if (step.leaf >= 0) out << "  accumulated: " << step.leaf_name << ".grad = " << step.accumulated.str() << "\n";
  return out;
}

// ---- recording ----

struct Tape::Index {
  std::unordered_map<const TensorImpl*, int> leaves;          // leaf or constant -> tensor id
  std::unordered_map<const Node*, std::vector<int>> outputs;  // node -> tensor id per output_nr
  std::unordered_map<const Node*, int> nodes;                 // node -> index in nodes_
};

Tape::Tape(TapeOptions options) : options_(options), index_(std::make_unique<Index>()) {
  if (current_tape)
    throw Error("Tape: a Tape is already recording on this thread; Tapes do not nest (stop() the first one)");
  current_tape = this;
  recording_ = true;
  record_observers.fetch_add(1, std::memory_order_relaxed);
}

Tape::~Tape() { stop(); }

void Tape::stop() {
  if (!recording_) return;
  recording_ = false;
  if (current_tape == this) current_tape = nullptr;
  record_observers.fetch_sub(1, std::memory_order_relaxed);
}

Tape* Tape::current() { return current_tape; }

TapeValue Tape::snapshot(const Tensor& t) const {
  TapeValue v;
  if (!t.defined()) return v;
  NoGradGuard no_grad;
  v.defined = true;
  v.sizes = DimVector(t.sizes());
  v.dtype = t.dtype();
  v.numel = t.numel();
  if (v.numel == 0) return v;
  Tensor d = t.detach().to(kFloat64).contiguous();
  if (v.numel <= options_.max_kept_) {
    if (d.is_same(t) || d.unsafe_impl()->storage == t.unsafe_impl()->storage) d = d.clone();
    v.value = d;
    const double* p = d.data_ptr<double>();
    double sum = 0;
    v.min = v.max = p[0];
    for (int64_t i = 0; i < v.numel; ++i) {
      sum += p[i];
      v.min = std::min(v.min, p[i]);
      v.max = std::max(v.max, p[i]);
    }
    v.mean = sum / static_cast<double>(v.numel);
  } else {
    v.mean = d.mean().item<double>();
    v.min = d.min().item<double>();
    v.max = d.max().item<double>();
  }
  return v;
}

void Tape::watch(const Tensor& t, const std::string& name) {
  if (!t.defined()) throw Error(fmt::format("Tape::watch: tensor '{}' is undefined", name));
  names_.push_back({t.unsafe_impl(), {name, false}});
  // Already on the tape: rename it now.
  int id = -1;
  if (t.grad_fn()) {
    id = find_output(t.grad_fn().get(), t.output_nr());
  } else if (auto it = index_->leaves.find(t.unsafe_impl()); it != index_->leaves.end()) {
    id = it->second;
  }
  if (id >= 0) tensors_[id].name = name;
}

void Tape::watch_parameter(const Tensor& t, const std::string& name) {
  names_.push_back({t.unsafe_impl(), {name, true}});
  if (auto it = index_->leaves.find(t.unsafe_impl()); it != index_->leaves.end()) {
    tensors_[it->second].name = name;
    tensors_[it->second].kind = TapeTensor::Kind::Parameter;
  }
}

int Tape::find_output(const Node* node, uint32_t output_nr) const {
  auto it = index_->outputs.find(node);
  if (it == index_->outputs.end() || output_nr >= it->second.size()) return -1;
  return it->second[output_nr];
}

int Tape::tensor_id(const Tensor& t) {
  if (const auto& fn = t.grad_fn()) {
    if (int id = find_output(fn.get(), t.output_nr()); id >= 0) return id;
  } else if (auto it = index_->leaves.find(t.unsafe_impl()); it != index_->leaves.end()) {
    return it->second;
  }
  TapeTensor tensor;
  tensor.id = static_cast<int>(tensors_.size());
  tensor.name = fmt::format("t{}", tensor.id);
  tensor.value = snapshot(t);
  for (const auto& [impl, named] : names_)
    if (impl == t.unsafe_impl()) {
      tensor.name = named.first;
      if (named.second) tensor.kind = TapeTensor::Kind::Parameter;
    }
  if (const auto& fn = t.grad_fn()) {
    // made before this Tape started: an output of a node the tape did not see
    tensor.kind = TapeTensor::Kind::Output;
    tensor.output_nr = t.output_nr();
    std::vector<int>& ids = index_->outputs[fn.get()];
    if (ids.size() <= t.output_nr()) ids.resize(t.output_nr() + 1, -1);
    ids[t.output_nr()] = tensor.id;
    held_.push_back(t);
  } else {
    if (tensor.kind != TapeTensor::Kind::Parameter)
      tensor.kind = t.requires_grad() ? TapeTensor::Kind::Leaf : TapeTensor::Kind::Constant;
    index_->leaves[t.unsafe_impl()] = tensor.id;
    held_.push_back(t);
  }
  tensors_.push_back(std::move(tensor));
  return tensors_.back().id;
}

void Tape::on_record(Node& node, const variable_list& inputs, const variable_list& outputs) {
  recording_ = false;  // snapshot() runs ops; they must not be recorded here
  struct Resume {
    bool& flag;
    ~Resume() { flag = true; }
  } resume{recording_};
  TapeNode n;
  n.node = node.shared_from_this();
  n.sequence_nr = node.sequence_nr();
  n.name = node.name();
  n.backward_name = node.backward_name();
  n.formula = node.op().formula ? node.op().formula : "";
  for (const Tensor& in : inputs) n.inputs.push_back(in.defined() ? tensor_id(in) : -1);
  const int index = static_cast<int>(nodes_.size());
  for (uint32_t k = 0; k < outputs.size(); ++k) {
    const Tensor& out = outputs[k];
    if (!out.defined()) {
      n.outputs.push_back(-1);
      continue;
    }
    TapeTensor tensor;
    tensor.id = static_cast<int>(tensors_.size());
    tensor.kind = TapeTensor::Kind::Output;
    tensor.name = fmt::format("t{}", tensor.id);
    tensor.producer = index;
    tensor.output_nr = k;
    tensor.value = snapshot(out);
    std::vector<int>& ids = index_->outputs[&node];
    if (ids.size() <= k) ids.resize(k + 1, -1);
    ids[k] = tensor.id;
    n.outputs.push_back(tensor.id);
    tensors_.push_back(std::move(tensor));
  }
  index_->nodes[&node] = index;
  nodes_.push_back(std::move(n));
}

// ---- the traced backward ----

namespace {
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}
}  // namespace

std::vector<std::string> rule_clauses(const std::string& formula) {
  std::vector<std::string> clauses;
  std::size_t start = 0;
  while (start <= formula.size()) {
    std::size_t end = formula.find(';', start);
    if (end == std::string::npos) end = formula.size();
    std::string clause = trim(formula.substr(start, end - start));
    if (!clause.empty()) clauses.push_back(clause);
    start = end + 1;
  }
  return clauses;
}

// "grad_self = grad * other" with grad = 0.5 and other = 2: "grad_self = 0.5 * 2 = 1". Each
// identifier the node knows (grad, its saved tensors and arguments, X.sizes) is replaced by its
// value when it is small enough to print in full; the clause for input i ends with what was sent.
std::vector<std::string> substitute_rule(const std::string& formula, const TapeStep& step, const TapeNode* node,
                                         const Tape& tape) {
  std::vector<std::string> out;
  if (formula.empty()) return out;
  const int64_t max_shown = tape.options().max_shown_;
  const std::vector<std::string> clauses = rule_clauses(formula);
  // the input each clause is for, by its left-hand side "grad_<name>" in input order
  std::vector<std::string> input_names;
  for (const std::string& clause : clauses) {
    std::size_t eq = clause.find('=');
    std::string lhs = eq == std::string::npos ? "" : trim(clause.substr(0, eq));
    input_names.push_back(lhs.rfind("grad_", 0) == 0 ? lhs.substr(5) : "");
  }
  const bool per_input = clauses.size() == step.grad_inputs.size();

  auto lookup = [&](const std::string& id, bool sizes) -> std::string {
    if (sizes) {
      if (node)
        for (std::size_t i = 0; i < input_names.size() && i < node->inputs.size(); ++i)
          if (input_names[i] == id && node->inputs[i] >= 0)
            return shape_str(tape.tensors()[node->inputs[i]].value.sizes);
      return "";
    }
    const TapeValue* v = nullptr;
    if (id == "grad" && !step.grad_outputs.empty()) v = &step.grad_outputs[0];
    if (node && !v)
      for (const auto& [name, saved] : node->saved)
        if (name == id) v = &saved;
    if (node && !v)
      for (const auto& [name, value] : node->scalars)
        if (name == id) return value < 0 ? "(" + format_number(value) + ")" : format_number(value);
    if (node && !v && step.node >= 0) {
      const Node& raw = *node->node;
      const OpNames& lists = raw.op().int_lists;
      for (std::size_t i = 0; i < lists.size() && lists[i] && i < raw.int_lists().size(); ++i)
        if (id == lists[i]) {
          std::string s = "[";
          for (std::size_t j = 0; j < raw.int_lists()[i].size(); ++j)
            s += (j ? ", " : "") + std::to_string(raw.int_lists()[i][j]);
          return s + "]";
        }
    }
    if (!v || !v->defined || !v->value.defined() || v->numel > max_shown) return "";
    std::string text = v->str(max_shown);
    return text[0] == '-' ? "(" + text + ")" : text;
  };

  for (std::size_t c = 0; c < clauses.size(); ++c) {
    const std::string& clause = clauses[c];
    std::size_t eq = clause.find('=');
    if (eq == std::string::npos || (eq + 1 < clause.size() && clause[eq + 1] == '=')) {
      out.push_back(clause);
      continue;
    }
    std::string rhs = clause.substr(eq + 1);
    std::string text = clause.substr(0, eq + 1);
    for (std::size_t i = 0; i < rhs.size();) {
      if (!ident_char(rhs[i]) || std::isdigit(static_cast<unsigned char>(rhs[i]))) {
        // a number's digits stay as they are
        std::size_t j = i;
        if (std::isdigit(static_cast<unsigned char>(rhs[i])))
          while (j < rhs.size() && (ident_char(rhs[j]) || rhs[j] == '.')) ++j;
        else
          j = i + 1;
        text += rhs.substr(i, j - i);
        i = j;
        continue;
      }
      std::size_t j = i;
      while (j < rhs.size() && ident_char(rhs[j])) ++j;
      std::string id = rhs.substr(i, j - i);
      bool sizes = rhs.compare(j, 6, ".sizes") == 0;
      std::string value = lookup(id, sizes);
      if (value.empty()) {
        text += id;
      } else {
        text += value;
        if (sizes) j += 6;
      }
      i = j;
    }
    if (per_input && !step.hooks_ran) {
      const TapeValue& sent = step.grad_inputs[c];
      if (!sent.defined) {
        text += " = (not needed)";
      } else if (c < step.grad_inputs_before_sum.size() && step.grad_inputs_before_sum[c].defined) {
        text += " = " + step.grad_inputs_before_sum[c].str(max_shown) + ", summed to the input's shape " +
                shape_str(sent.sizes) + ": " + sent.str(max_shown);
      } else {
        text += " = " + sent.str(max_shown);
      }
    }
    out.push_back(trim(text));
  }
  return out;
}

void Tape::backward(const Tensor& root, const Tensor& gradient, bool retain_graph) {
  if (!root.defined()) throw Error("Tape::backward: the root tensor is undefined");
  const bool was_recording = recording_;
  recording_ = false;
  struct Resume {
    bool& flag;
    bool value;
    ~Resume() { flag = value; }
  } resume{recording_, was_recording};
  if (!steps_.empty())
    throw Error(
        "Tape::backward: this Tape has already traced a backward pass; use a new Tape (or stop() and read "
        "this one)");
  std::vector<Tensor> grads;
  if (gradient.defined()) grads.push_back(gradient);
  BackwardEngine engine({root}, grads, retain_graph, /*create_graph=*/false);
  auto node_index = [&](const Node* node) {
    auto it = index_->nodes.find(node);
    return it == index_->nodes.end() ? -1 : it->second;
  };
  // what each step sent to each tensor, to say how a gradient that came by several paths was summed
  std::unordered_map<int, std::vector<std::pair<int, TapeValue>>> sent_to;
  auto sum_note = [&](int id, const TapeValue& total) -> std::string {
    auto it = sent_to.find(id);
    if (it == sent_to.end() || it->second.size() < 2) return "";
    std::string parts;
    for (const auto& [from, value] : it->second)
      parts += fmt::format("{}{} (from step {}, {})", parts.empty() ? "" : " + ", value.str(options_.max_shown_), from,
                           steps_[from - 1].backward_name);
    return fmt::format("{} arrived by {} paths and was summed: {} = {}", tensors_[id].name, it->second.size(), parts,
                       total.str(options_.max_shown_));
  };
  while (!engine.done()) {
    std::shared_ptr<Node> next = engine.peek();
    const int ni = node_index(next.get());
    if (ni >= 0) {
      TapeNode& n = nodes_[ni];
      n.saved.clear();
      n.scalars.clear();
      const OpNames& names = next->op().saved;
      std::vector<Tensor> saved = next->saved_tensors();
      for (std::size_t i = 0; i < saved.size(); ++i)
        n.saved.emplace_back(i < names.size() && names[i] ? names[i] : fmt::format("saved{}", i), snapshot(saved[i]));
      const OpNames& scalars = next->op().scalars;
      for (std::size_t i = 0; i < next->scalar_args().size(); ++i)
        if (i < scalars.size() && scalars[i]) n.scalars.emplace_back(scalars[i], next->scalar_args()[i]);
    }
    TapeStep step;
    step.index = static_cast<int>(steps_.size()) + 1;
    step.node = ni;
    step.sequence_nr = next->sequence_nr();
    step.backward_name = next->backward_name();
    step.formula = next->op().formula ? next->op().formula : "";
    step.hooks_ran = next->has_node_hooks();
    if (ni < 0 && !next->is_accumulate_grad())
      step.notes.push_back("this node was recorded before the Tape started, so the tape has no forward values for it");
    if (step.hooks_ran)
      step.notes.push_back(
          "node hooks ran at this step: the gradient arriving is shown after its pre-hooks and what was sent after "
          "its hooks, so they may differ from the rule's own result");
    // kept for the trace if the step raises (anomaly mode, a hook, a freed graph): the failing step is
    // the one a reader wants to see
    const TapeValue waiting = snapshot(engine.pending_grad(next.get()));
    StepRecord record;
    try {
      record = engine.step();
    } catch (const std::exception& e) {
      step.grad_outputs.push_back(waiting);
      step.notes.push_back(std::string("this step raised an error: ") + e.what());
      steps_.push_back(std::move(step));
      throw;
    }
    if (record.grad_outputs.empty()) {
      step.grad_outputs.push_back(snapshot(record.grad_output));
    } else {
      for (const Tensor& g : record.grad_outputs) step.grad_outputs.push_back(snapshot(g));
    }
    for (std::size_t i = 0; i < record.grad_inputs.size(); ++i) {
      step.grad_inputs.push_back(snapshot(record.grad_inputs[i]));
      step.grad_inputs_before_sum.push_back(
          i < record.grad_inputs_before_sum.size() ? snapshot(record.grad_inputs_before_sum[i]) : TapeValue{});
      const int target = ni >= 0 && i < nodes_[ni].inputs.size() ? nodes_[ni].inputs[i] : -1;
      step.grad_input_targets.push_back(target);
      step.grad_input_names.push_back(target >= 0 ? tensors_[target].name : "");
      if (target >= 0 && step.grad_inputs.back().defined && record.node->next_edges()[i].is_valid())
        sent_to[target].emplace_back(step.index, step.grad_inputs.back());
    }
    // An output's gradient is complete once its last consumer has sent its part (every consumer
    // runs before the producer); its value is the sum that arrives at the producer.
    for (std::size_t i = 0; i < step.grad_inputs.size(); ++i)
      if (int target = step.grad_input_targets[i]; target >= 0 && step.grad_inputs[i].defined &&
                                                   record.node->next_edges()[i].is_valid() &&
                                                   tensors_[target].kind == TapeTensor::Kind::Output)
        tensors_[target].grad_step = step.index;
    if (ni >= 0)
      for (std::size_t k = 0; k < nodes_[ni].outputs.size() && k < step.grad_outputs.size(); ++k)
        if (int id = nodes_[ni].outputs[k]; id >= 0 && step.grad_outputs[k].defined) {
          tensors_[id].grad = step.grad_outputs[k];
          if (tensors_[id].grad_step < 0) tensors_[id].grad_step = step.index;  // the root
          if (std::string note = sum_note(id, step.grad_outputs[k]); !note.empty())
            step.notes.insert(step.notes.begin(), note);
        }
    if (record.node->is_accumulate_grad()) {
      Tensor leaf = static_cast<const AccumulateGrad&>(*record.node).variable();
      if (auto it = index_->leaves.find(leaf.unsafe_impl()); it != index_->leaves.end()) step.leaf = it->second;
      step.accumulated = snapshot(leaf.grad());
      if (step.leaf >= 0) {
        step.leaf_name = tensors_[step.leaf].name;
        tensors_[step.leaf].grad = step.accumulated;
        tensors_[step.leaf].grad_step = step.index;
        if (std::string note = sum_note(step.leaf, step.grad_outputs[0]); !note.empty())
          step.notes.insert(step.notes.begin(), note);
      }
    }
    step.substituted = substitute_rule(step.formula, step, ni >= 0 ? &nodes_[ni] : nullptr, *this);
    steps_.push_back(std::move(step));
  }
}

const TapeStep& Tape::step(std::size_t k) const {
  if (k < 1 || k > steps_.size())
    throw Error(steps_.empty() ? fmt::format("Tape::step: step {} does not exist: no backward was traced yet "
                                             "(call tape.backward(loss); a plain loss.backward() runs untraced)",
                                             k)
                               : fmt::format("Tape::step: step {} does not exist; the backward trace has {} steps "
                                             "(1 to {})",
                                             k, steps_.size(), steps_.size()));
  return steps_[k - 1];
}

// ---- text ----

std::string tensor_kind_name(TapeTensor::Kind kind) {
  switch (kind) {
    case TapeTensor::Kind::Parameter: return "parameter";
    case TapeTensor::Kind::Leaf: return "leaf";
    case TapeTensor::Kind::Constant: return "constant";
    case TapeTensor::Kind::Output: return "output";
  }
  return "";
}

std::string node_args(const Node& node) {
  std::string out;
  const OpNames& scalars = node.op().scalars;
  for (std::size_t i = 0; i < node.scalar_args().size() && i < scalars.size() && scalars[i]; ++i)
    out += fmt::format("{}{}={}", out.empty() ? "" : ", ", scalars[i], format_number(node.scalar_args()[i]));
  const OpNames& lists = node.op().int_lists;
  for (std::size_t i = 0; i < node.int_lists().size() && i < lists.size() && lists[i]; ++i)
    out += fmt::format("{}{}={}", out.empty() ? "" : ", ", lists[i], shape_str(node.int_lists()[i]));
  return out;
}

std::string describe_tensor(const TapeTensor& t) {
  return fmt::format("{} {} {}", t.name, shape_str(t.value.sizes), dtype_name(t.value.dtype));
}

std::string Tape::table() const {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"tensor", "kind", "shape", "dtype", "value", "grad"});
  for (const TapeTensor& t : tensors_) {
    if (t.kind == TapeTensor::Kind::Output && t.producer >= 0) continue;
    rows.push_back({t.name, tensor_kind_name(t.kind), shape_str(t.value.sizes), dtype_name(t.value.dtype),
                    t.value.str(options_.max_shown_), t.grad_step >= 0 ? t.grad.str(options_.max_shown_) : ""});
  }
  auto render = [](const std::vector<std::vector<std::string>>& table) {
    std::vector<std::size_t> width(table[0].size(), 0);
    for (const auto& row : table)
      for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    std::string out;
    for (std::size_t r = 0; r < table.size(); ++r) {
      std::string line;
      for (std::size_t c = 0; c < table[r].size(); ++c)
        line += fmt::format("{:<{}}", table[r][c], c + 1 < table[r].size() ? width[c] + 2 : 0);
      out += trim(line) + "\n";
      if (r == 0) {
        std::size_t total = 0;
        for (std::size_t c = 0; c < width.size(); ++c) total += width[c] + (c + 1 < width.size() ? 2 : 0);
        out += std::string(total, '-') + "\n";
      }
    }
    return out;
  };
  if (nodes_.empty())
    return "(nothing recorded: a Tape records the ops run on its thread while it is alive; create it before the "
           "forward pass)\n";
  std::string out = "Leaves and constants\n" + render(rows) + "\nNodes, in the order recorded\n";
  std::vector<std::vector<std::string>> ops;
  ops.push_back({"seq", "op", "inputs", "args", "output", "saved", "value"});
  for (const TapeNode& n : nodes_) {
    std::string ins;
    for (int id : n.inputs) ins += (ins.empty() ? "" : ", ") + (id >= 0 ? describe_tensor(tensors_[id]) : "-");
    std::string outs, values;
    for (int id : n.outputs) {
      if (id < 0) continue;
      outs += (outs.empty() ? "" : ", ") + describe_tensor(tensors_[id]);
      values += (values.empty() ? "" : "; ") + tensors_[id].value.str(options_.max_shown_);
    }
    std::string saved;
    const OpNames& names = n.node->op().saved;
    for (const char* name : names)
      if (name) saved += (saved.empty() ? "" : ", ") + std::string(name);
    std::string args = node_args(*n.node);
    ops.push_back({fmt::format("#{}", n.sequence_nr), n.backward_name, ins, args.empty() ? "-" : args, outs,
                   saved.empty() ? "-" : saved, values});
  }
  out += render(ops);
  return out;
}

std::string Tape::trace() const {
  if (steps_.empty())
    return "(no backward traced yet: call tape.backward(loss); a plain loss.backward() runs untraced)\n";
  std::ostringstream out;
  for (const TapeStep& s : steps_) out << s;
  return out.str();
}

// ---- JSON ----

namespace {
nlohmann::json value_json(const TapeValue& v, int64_t max_shown) {
  if (!v.defined) return nullptr;
  nlohmann::json j;
  j["shape"] = std::vector<int64_t>(v.sizes.begin(), v.sizes.end());
  j["dtype"] = dtype_name(v.dtype);
  j["str"] = v.str(max_shown);
  j["mean"] = v.mean;
  j["min"] = v.min;
  j["max"] = v.max;
  if (v.value.defined()) {
    const double* p = v.value.data_ptr<double>();
    j["values"] = std::vector<double>(p, p + v.numel);
  }
  return j;
}
}  // namespace

nlohmann::json tape_json(const Tape& tape) {
  const int64_t shown = tape.options().max_shown_;
  nlohmann::json j;
  j["format"] = "tapegrad-tape-1";
  j["tensors"] = nlohmann::json::array();
  for (const TapeTensor& t : tape.tensors()) {
    nlohmann::json tj{{"id", t.id},
                      {"name", t.name},
                      {"kind", tensor_kind_name(t.kind)},
                      {"producer", t.producer},
                      {"output_nr", t.output_nr},
                      {"value", value_json(t.value, shown)},
                      {"grad", t.grad_step >= 0 ? value_json(t.grad, shown) : nullptr},
                      {"grad_step", t.grad_step}};
    j["tensors"].push_back(std::move(tj));
  }
  j["nodes"] = nlohmann::json::array();
  for (const TapeNode& n : tape.nodes()) {
    nlohmann::json saved = nlohmann::json::array();
    for (const auto& [name, v] : n.saved) saved.push_back({{"name", name}, {"value", value_json(v, shown)}});
    nlohmann::json scalars = nlohmann::json::object();
    for (const auto& [name, v] : n.scalars) scalars[name] = v;
    j["nodes"].push_back({{"seq", n.sequence_nr},
                          {"name", n.name},
                          {"backward_name", n.backward_name},
                          {"formula", n.formula},
                          {"args", node_args(*n.node)},
                          {"inputs", n.inputs},
                          {"outputs", n.outputs},
                          {"saved", saved},
                          {"scalars", scalars}});
  }
  j["edges"] = nlohmann::json::array();
  for (std::size_t i = 0; i < tape.nodes().size(); ++i) {
    const TapeNode& n = tape.nodes()[i];
    for (std::size_t k = 0; k < n.inputs.size(); ++k)
      if (n.inputs[k] >= 0) j["edges"].push_back({{"from", n.inputs[k]}, {"to_node", i}, {"input", k}});
  }
  j["steps"] = nlohmann::json::array();
  for (const TapeStep& s : tape.steps()) {
    nlohmann::json outs = nlohmann::json::array(), ins = nlohmann::json::array();
    for (const TapeValue& v : s.grad_outputs) outs.push_back(value_json(v, shown));
    for (std::size_t i = 0; i < s.grad_inputs.size(); ++i)
      ins.push_back({{"to", s.grad_input_targets[i]},
                     {"name", s.grad_input_names[i]},
                     {"grad", value_json(s.grad_inputs[i], shown)},
                     {"before_sum",
                      i < s.grad_inputs_before_sum.size() ? value_json(s.grad_inputs_before_sum[i], shown) : nullptr}});
    j["steps"].push_back({{"index", s.index},
                          {"node", s.node},
                          {"leaf", s.leaf},
                          {"seq", s.sequence_nr},
                          {"backward_name", s.backward_name},
                          {"formula", s.formula},
                          {"substituted", s.substituted},
                          {"notes", s.notes},
                          {"hooks_ran", s.hooks_ran},
                          {"grad_outputs", outs},
                          {"grad_inputs", ins},
                          {"accumulated", s.leaf >= 0 ? value_json(s.accumulated, shown) : nullptr}});
  }
  return j;
}

std::string Tape::to_json() const { return tape_json(*this).dump(1); }

}  // namespace tg::autograd
