// gradcheck: the tape's Jacobian against central finite differences, column by column (as
// PyTorch's gradcheck), in whatever dtype the inputs have (use float64). gradgradcheck applies the
// same test to the map (inputs, v) -> vjp(inputs, v), which exercises create_graph.
#include <fmt/format.h>

#include <cmath>

#include "tapegrad/autograd.h"

namespace tg::autograd {
namespace {

// Flattened copy as doubles.
std::vector<double> values_of(const Tensor& t) {
  NoGradGuard guard;
  Tensor d = t.to(kFloat64).contiguous();
  const double* p = d.data_ptr<double>();
  return {p, p + d.numel()};
}

bool report(bool raise, const std::string& message) {
  if (raise) throw Error(message);
  return false;
}

}  // namespace

bool gradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, double eps, double atol, double rtol,
               bool raise_exception) {
  std::vector<Tensor> leaves;
  std::vector<std::size_t> differentiable;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Tensor leaf = inputs[i].detach().clone();
    if (inputs[i].requires_grad()) {
      if (leaf.dtype() != kFloat64)
        return report(raise_exception, fmt::format("gradcheck: input {} is {}, not Float64: finite "
                                                   "differences need double precision",
                                                   i, dtype_name(leaf.dtype())));
      leaf.requires_grad_(true);
      differentiable.push_back(i);
    }
    leaves.push_back(leaf);
  }
  if (differentiable.empty()) return report(raise_exception, "gradcheck: no input requires grad");

  Tensor output = fn(leaves);
  int64_t m = output.numel();

  // analytical Jacobian, one row per output element: J[r][col] via autograd::grad with a one-hot v
  std::vector<std::vector<double>> analytic(differentiable.size());
  for (std::size_t k = 0; k < differentiable.size(); ++k)
    analytic[k].assign(static_cast<std::size_t>(m * leaves[differentiable[k]].numel()), 0.0);
  if (output.requires_grad()) {
    std::vector<Tensor> wrt;
    for (std::size_t i : differentiable) wrt.push_back(leaves[i]);
    for (int64_t r = 0; r < m; ++r) {
      Tensor v = zeros(output.sizes(), output.dtype());
      v.view({-1}).narrow(0, r, 1).fill_(1.0);
      std::vector<Tensor> grads = grad({output}, wrt, {v}, /*retain_graph=*/true, false, /*allow_unused=*/true);
      for (std::size_t k = 0; k < grads.size(); ++k) {
        if (!grads[k].defined()) continue;
        std::vector<double> g = values_of(grads[k]);
        int64_t n = static_cast<int64_t>(g.size());
        for (int64_t c = 0; c < n; ++c)
          analytic[k][static_cast<std::size_t>(r * n + c)] = g[static_cast<std::size_t>(c)];
      }
    }
  }

  // numerical Jacobian by central differences on each input element
  for (std::size_t k = 0; k < differentiable.size(); ++k) {
    Tensor& x = leaves[differentiable[k]];
    int64_t n = x.numel();
    Tensor flat = x.detach().view({-1});  // shares x's storage
    for (int64_t c = 0; c < n; ++c) {
      double original = flat[c].item<double>();
      // fn runs with grad mode as the caller has it: gradgradcheck's fn itself calls autograd::grad
      flat[c].fill_(original + eps);
      std::vector<double> plus = values_of(fn(leaves));
      flat[c].fill_(original - eps);
      std::vector<double> minus = values_of(fn(leaves));
      flat[c].fill_(original);
      for (int64_t r = 0; r < m; ++r) {
        double numeric = (plus[static_cast<std::size_t>(r)] - minus[static_cast<std::size_t>(r)]) / (2 * eps);
        double analytical = analytic[k][static_cast<std::size_t>(r * n + c)];
        if (!(std::abs(numeric - analytical) <= atol + rtol * std::abs(numeric)))
          return report(raise_exception,
                        fmt::format("gradcheck: Jacobian mismatch for input {} (shape {}), output element "
                                    "{}, input element {}: numerical {:.10g}, analytical {:.10g}",
                                    differentiable[k], shape_str(x.sizes()), r, c, numeric, analytical));
      }
    }
  }
  return true;
}

bool gradgradcheck(const TensorFn& fn, const std::vector<Tensor>& inputs, double eps, double atol, double rtol,
                   bool raise_exception) {
  std::vector<std::size_t> differentiable;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].requires_grad()) differentiable.push_back(i);
  // a fixed random direction for the first-order vjp
  Tensor probe;
  {
    NoGradGuard guard;
    std::vector<Tensor> detached;
    for (const Tensor& t : inputs) detached.push_back(t.detach());
    probe = fn(detached);
  }
  Tensor v = randn(probe.sizes(), kFloat64).requires_grad_(true);
  std::vector<Tensor> extended = inputs;
  extended.push_back(v);
  TensorFn first_order = [&](const std::vector<Tensor>& args) {
    std::vector<Tensor> xs(args.begin(), args.end() - 1);
    Tensor out = fn(xs);
    std::vector<Tensor> wrt;
    for (std::size_t i : differentiable) wrt.push_back(xs[i]);
    if (!out.requires_grad()) return zeros({1}, kFloat64);
    std::vector<Tensor> grads = grad({out}, wrt, {args.back()}, true, /*create_graph=*/true, true);
    std::vector<Tensor> flat;
    for (std::size_t k = 0; k < grads.size(); ++k)
      flat.push_back(grads[k].defined() ? grads[k].reshape({-1}) : zeros({wrt[k].numel()}, kFloat64));
    return cat(flat, 0);
  };
  return gradcheck(first_order, extended, eps, atol, rtol, raise_exception);
}

}  // namespace tg::autograd
