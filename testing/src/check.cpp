// check_op and its parts: one implementation of the checks, used by tests/testing/test_op_table.cpp for
// every table entry and by anyone checking an op of their own.
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "tapegrad/ops.h"
#include "tapegrad/testing.h"

namespace tg::testing {
namespace {

const char* const kDefaultRegenerate = "cmake --build build --target tg_op_reference (tests/fixtures/README.md)";

std::string sample_label(const OpInfo& info, std::size_t index, const std::string& description) {
  return "op '" + info.name + "', sample " + std::to_string(index) + " (" + description + ")";
}
std::string error_label(const OpInfo& info, std::size_t index, const std::string& description) {
  return "op '" + info.name + "', error sample " + std::to_string(index) + " (" + description + ")";
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

std::string index_str(int64_t flat, IntArrayRef sizes) {
  std::vector<int64_t> idx(sizes.size());
  for (std::size_t d = sizes.size(); d-- > 0;) {
    idx[d] = sizes[d] ? flat % sizes[d] : 0;
    flat = sizes[d] ? flat / sizes[d] : 0;
  }
  return shape_str(idx);
}

// "" when `out` matches `ref` within the tolerances, else what differs.
std::string compare(const Tensor& out, const Tensor& ref, double atol, double rtol) {
  if (!out.defined()) return "the op returned an undefined tensor";
  if (!ref.defined()) return "the reference is an undefined tensor";
  if (out.dtype() != ref.dtype())
    return std::string("dtype ") + dtype_name(out.dtype()) + ", reference " + dtype_name(ref.dtype());
  if (!out.sizes().equals(ref.sizes()))
    return "shape " + shape_str(out.sizes()) + ", reference " + shape_str(ref.sizes());
  Tensor a = out.detach().to(kFloat64).contiguous(), b = ref.detach().to(kFloat64).contiguous();
  const double* pa = a.data_ptr<double>();
  const double* pb = b.data_ptr<double>();
  int64_t worst = -1;
  double worst_excess = 0, worst_diff = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    if (std::isnan(pa[i]) && std::isnan(pb[i])) continue;
    double diff = std::abs(pa[i] - pb[i]);
    double allowed = atol + rtol * std::abs(pb[i]);
    if (pa[i] == pb[i]) continue;  // equal infinities
    if (!(diff <= allowed) && (worst < 0 || !(diff - allowed <= worst_excess))) {
      worst = i;
      worst_excess = diff - allowed;
      worst_diff = diff;
    }
  }
  if (worst < 0) return "";
  std::ostringstream s;
  s.precision(17);
  s << "output " << pa[worst] << " vs reference " << pb[worst] << " at " << index_str(worst, a.sizes())
    << " (|difference| " << worst_diff << " > atol " << atol << " + rtol " << rtol << " * |reference|)";
  return s.str();
}

bool same_tensor(const Tensor& a, const Tensor& b, std::string& why) {
  if (a.dtype() != b.dtype()) {
    why = std::string("dtype ") + dtype_name(a.dtype()) + " in the file, " + dtype_name(b.dtype()) + " now";
    return false;
  }
  if (!a.sizes().equals(b.sizes())) {
    why = "shape " + shape_str(a.sizes()) + " in the file, " + shape_str(b.sizes()) + " now";
    return false;
  }
  if (!tg::equal(a.detach(), b.detach())) {
    why = "same shape, other values";
    return false;
  }
  return true;
}

std::string what_of(const std::exception& e) { return e.what(); }

std::vector<std::string> sample_failures(const OpInfo& info, std::size_t index, const OpSample& sample,
                                         const CheckOptions& options) {
  std::vector<std::string> failures;
  const std::string label = sample_label(info, index, sample.description);
  auto fail = [&](const std::string& check, const std::string& what) {
    failures.push_back(label + ": " + check + ": " + what);
  };
  if (!sample.call) {
    fail("sample", "it has no call");
    return failures;
  }
  if (sample.pytorch.empty() == !sample.reference) {
    fail("sample", sample.pytorch.empty() ? "it has no reference (set pytorch or reference)"
                                          : "it has both a pytorch expression and a naive reference; keep one");
    return failures;
  }

  // forward against the reference
  Tensor out;
  try {
    out = sample.call(sample.inputs);
  } catch (const std::exception& e) {
    fail("forward", "threw: " + what_of(e));
    return failures;
  }
  try {
    Tensor ref;
    if (sample.reference) {
      NoGradGuard no_grad;
      ref = sample.reference(sample.inputs);
    } else if (!options.references) {
      throw Error("the sample's reference is a PyTorch output, and no References file was given (CheckOptions)");
    } else {
      ref = options.references->expected(info.name, index, sample);
    }
    std::string diff = compare(out, ref, info.forward_atol, info.forward_rtol);
    if (!diff.empty()) fail("forward", diff);
  } catch (const std::exception& e) {
    fail("forward", what_of(e));
  }

  // a primitive's node
  if (info.primitive && out.defined()) {
    bool found = false;
    for (const auto& node : autograd::collect_tape(out))
      if (!node->is_accumulate_grad() && info.name == node->name()) found = true;
    if (!found) fail("tape", "a primitive's sample must record a node named '" + info.name + "'");
  }

  // gradients (also after a forward mismatch: each check reports on its own)
  bool float64 = true;
  for (std::size_t i = 0; i < sample.inputs.size(); ++i) {
    const Tensor& t = sample.inputs[i];
    if (t.defined() && t.requires_grad() && t.dtype() != kFloat64) {
      fail("gradcheck", "input " + std::to_string(i) + " requires grad but is " + dtype_name(t.dtype()) +
                            " (finite differences need float64)");
      float64 = false;
    }
  }
  if (!float64) return failures;
  try {
    autograd::gradcheck(sample.call, sample.inputs, info.eps, info.atol, info.rtol);
  } catch (const std::exception& e) {
    fail("gradcheck", what_of(e));
  }
  if (info.check_gradgrad) {
    try {
      autograd::gradgradcheck(sample.call, sample.inputs, info.eps, info.atol, info.rtol);
    } catch (const std::exception& e) {
      fail("gradgradcheck", what_of(e));
    }
  }
  return failures;
}

std::vector<std::string> error_failures(const OpInfo& info, std::size_t index, const ErrorSample& sample) {
  const std::string label = error_label(info, index, sample.description);
  const std::string expected = "expected a tg::Error containing \"" + sample.message + "\"";
  if (!sample.call) return {label + ": it has no call"};
  if (sample.message.empty()) return {label + ": it has no expected message"};
  try {
    Tensor out = sample.call(sample.inputs);
  } catch (const Error& e) {
    if (std::string(e.what()).find(sample.message) != std::string::npos) return {};
    return {label + ": " + expected + ", got \"" + e.what() + "\""};
  } catch (const std::exception& e) {
    return {label + ": " + expected + ", got another exception (not tg::Error): \"" + e.what() + "\""};
  }
  return {label + ": " + expected + ", but the call succeeded"};
}

}  // namespace

// ---------------------------------------------------------------- checks

void check_sample(const OpInfo& info, std::size_t index, const CheckOptions& options) {
  std::vector<OpSample> samples = info.samples ? info.samples() : std::vector<OpSample>{};
  if (index >= samples.size())
    throw Error("op '" + info.name + "': no sample " + std::to_string(index) + " (it has " +
                std::to_string(samples.size()) + ")");
  std::vector<std::string> failures = sample_failures(info, index, samples[index], options);
  if (!failures.empty()) throw Error(join_lines(failures));
}

void check_error_sample(const OpInfo& info, std::size_t index) {
  std::vector<ErrorSample> samples = info.error_samples ? info.error_samples() : std::vector<ErrorSample>{};
  if (index >= samples.size())
    throw Error("op '" + info.name + "': no error sample " + std::to_string(index) + " (it has " +
                std::to_string(samples.size()) + ")");
  std::vector<std::string> failures = error_failures(info, index, samples[index]);
  if (!failures.empty()) throw Error(join_lines(failures));
}

void check_op(const OpInfo& info, const CheckOptions& options) {
  std::vector<std::string> failures;
  std::vector<OpSample> samples = info.samples ? info.samples() : std::vector<OpSample>{};
  if (samples.empty()) failures.push_back("op '" + info.name + "': no samples");
  for (std::size_t i = 0; i < samples.size(); ++i)
    for (std::string& f : sample_failures(info, i, samples[i], options)) failures.push_back(std::move(f));
  std::vector<ErrorSample> errors = info.error_samples ? info.error_samples() : std::vector<ErrorSample>{};
  for (std::size_t i = 0; i < errors.size(); ++i)
    for (std::string& f : error_failures(info, i, errors[i])) failures.push_back(std::move(f));
  if (!failures.empty()) throw Error(join_lines(failures));
}

// ---------------------------------------------------------------- references

std::string reference_key(const std::string& entry, std::size_t index) { return entry + "/" + std::to_string(index); }

References References::load(const std::string& path) {
  References r;
  r.path_ = path;
  r.file_ = safetensors::load(path);
  return r;
}

std::string References::regenerate() const {
  auto it = file_.metadata.find("regenerate");
  return it == file_.metadata.end() ? kDefaultRegenerate : it->second;
}

Tensor References::expected(const std::string& entry, std::size_t index, const OpSample& sample) const {
  const std::string key = reference_key(entry, index);
  auto stale = [&](const std::string& why) {
    return Error(path_ + " was not made from the current sample " + key + " (" + why + "): regenerate it with " +
                 regenerate());
  };
  const Tensor* output = file_.tensors.find(key + "/output");
  auto expression = file_.metadata.find(key + "/pytorch");
  if (!output || expression == file_.metadata.end()) throw stale("no reference for it in the file");
  if (expression->second != sample.pytorch)
    throw stale("PyTorch expression \"" + expression->second + "\" in the file, \"" + sample.pytorch + "\" now");
  std::size_t n = 0;
  while (file_.tensors.find(key + "/input" + std::to_string(n))) ++n;
  if (n != sample.inputs.size())
    throw stale(std::to_string(n) + " inputs in the file, " + std::to_string(sample.inputs.size()) + " now");
  for (std::size_t i = 0; i < n; ++i) {
    const Tensor& committed = *file_.tensors.find(key + "/input" + std::to_string(i));
    std::string why;
    if (!sample.inputs[i].defined()) throw stale("input " + std::to_string(i) + " is undefined now");
    if (!same_tensor(committed, sample.inputs[i], why)) throw stale("input " + std::to_string(i) + ": " + why);
  }
  return *output;
}

std::vector<std::pair<std::string, std::size_t>> References::samples() const {
  std::vector<std::pair<std::string, std::size_t>> out;
  const std::string suffix = "/output";
  for (const auto& item : file_.tensors) {
    const std::string& name = item.key();
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    std::string key = name.substr(0, name.size() - suffix.size());
    std::size_t slash = key.rfind('/');
    if (slash == std::string::npos) continue;
    out.emplace_back(key.substr(0, slash), std::stoul(key.substr(slash + 1)));
  }
  return out;
}

void write_sample_inputs(const std::vector<OpInfo>& table, const std::string& path) {
  OrderedDict<std::string, Tensor> tensors("Tensor");
  std::map<std::string, std::string> metadata;
  std::set<std::string> names;
  for (const OpInfo& info : table) {
    if (!names.insert(info.name).second) throw Error("write_sample_inputs: two entries named '" + info.name + "'");
    std::vector<OpSample> samples = info.samples ? info.samples() : std::vector<OpSample>{};
    for (std::size_t i = 0; i < samples.size(); ++i) {
      const OpSample& s = samples[i];
      if (s.pytorch.empty()) continue;
      const std::string key = reference_key(info.name, i);
      for (std::size_t k = 0; k < s.inputs.size(); ++k) {
        if (!s.inputs[k].defined())
          throw Error("write_sample_inputs: " + key + " input " + std::to_string(k) + " is undefined");
        tensors.insert(key + "/input" + std::to_string(k), s.inputs[k].detach().contiguous());
      }
      metadata[key + "/pytorch"] = s.pytorch;
      metadata[key + "/description"] = s.description;
    }
  }
  safetensors::save(path, tensors, metadata);
}

}  // namespace tg::testing
