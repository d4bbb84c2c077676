// A libtorch C++ program, written only with names that both libtorch (1.13) and tapegrad declare.
//
// Include it after `namespace torch = tg;` (tapegrad, tests/port/port_test.cpp) or after
// <torch/torch.h> (real libtorch, tests/port/reference_gen.cpp). It must stay plain libtorch code:
// no tapegrad-only names, no random factories, float64 throughout, so that the two builds can be
// compared to ~1e-12.
//
// Every port_section_* function appends named, flattened float64 vectors (forward values, their
// shapes as "<name>_shape", and gradients as "<name>_grad<i>") to `out`. port_program() runs them
// all. The sections are separate only so that the test can tell which one threw; each is ordinary
// libtorch code.
//
// Inputs are made by port_values()/port_positive(): no element is ever 0, no two elements of any
// input coincide, and no element sits on a kink used below (clamp bounds, softplus threshold), so
// the subgradient conventions of relu/abs/clamp/max never come into play.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

using PortResults = std::vector<std::pair<std::string, std::vector<double>>>;

// n distinct values in about (-1.4, 1.36): k/8 - 1.4 + i/1024 + seed/8192, k a permutation mod 23.
// Never 0, and never a one-decimal number such as -0.5, 0.4 or 0.75 (8192 * (v + 1.4) is never a
// multiple of 0.8); seeds 0..7 never share a value.
inline std::vector<double> port_values(int64_t n, int64_t seed) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = (37 * i + 11 + 5 * seed) % 23;
    v[static_cast<std::size_t>(i)] =
        static_cast<double>(k) / 8.0 - 1.4 + static_cast<double>(i) / 1024.0 + static_cast<double>(seed) / 8192.0;
  }
  return v;
}

// n distinct values in [0.35, 2.6).
inline std::vector<double> port_positive(int64_t n, int64_t seed) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = (29 * i + 7 + 3 * seed) % 19;
    v[static_cast<std::size_t>(i)] =
        static_cast<double>(k) / 10.0 + 0.35 + static_cast<double>(i) / 2048.0 + static_cast<double>(seed) / 16384.0;
  }
  return v;
}

inline std::vector<double> port_flat(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kFloat64).contiguous();
  const double* p = c.data_ptr<double>();
  return std::vector<double>(p, p + c.numel());
}

inline void port_put(PortResults& out, const std::string& name, const torch::Tensor& t) {
  out.emplace_back(name, port_flat(t));
}

inline void port_put_shape(PortResults& out, const std::string& name, const torch::Tensor& t) {
  std::vector<double> s;
  for (int64_t d : t.sizes()) s.push_back(static_cast<double>(d));
  out.emplace_back(name + "_shape", s);
}

inline torch::Tensor port_leaf(const std::vector<double>& v) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true));
}

inline torch::Tensor port_const(const std::vector<double>& v) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kFloat64));
}

// Records every output (values and shape), then the gradient of sum_k (outputs[k] * w_k).sum()
// with respect to each leaf, w_k being fixed weights of outputs[k]'s shape.
inline void port_probe(PortResults& out, const std::string& name, const std::vector<torch::Tensor>& leaves,
                       const std::vector<torch::Tensor>& outputs) {
  torch::Tensor loss;
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const torch::Tensor& y = outputs[k];
    const std::string yname = outputs.size() == 1 ? name : name + "_out" + std::to_string(k);
    port_put(out, yname, y);
    port_put_shape(out, yname, y);
    torch::Tensor w = port_const(port_values(y.numel(), 3 + static_cast<int64_t>(k % 4))).view(y.sizes());
    torch::Tensor term = (y * w).sum();
    loss = loss.defined() ? loss + term : term;
  }
  std::vector<torch::Tensor> grads = torch::autograd::grad({loss}, leaves, {}, true);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    port_put(out, name + "_grad" + std::to_string(i), grads[i]);
  }
}

// ---- arithmetic with broadcasting ----
inline void port_section_arith(PortResults& out) {
  torch::Tensor a0 = port_leaf(port_values(12, 0));
  torch::Tensor b0 = port_leaf(port_values(4, 1));
  torch::Tensor c0 = port_leaf(port_values(3, 2));
  torch::Tensor a = a0.view({3, 4});
  torch::Tensor b = b0;
  torch::Tensor c = c0.reshape({3, 1});

  port_probe(out, "arith_add_bcast", {a0, b0}, {a + b});
  port_probe(out, "arith_add_alpha", {a0, b0}, {torch::add(a, b, 0.5)});
  port_probe(out, "arith_add_method", {a0, c0}, {a.add(c, -1.5)});
  port_probe(out, "arith_sub_bcast", {a0, c0}, {a - c});
  port_probe(out, "arith_sub_alpha", {a0, b0}, {torch::sub(a, b, 2.0)});
  port_probe(out, "arith_mul_bcast", {a0, c0}, {a * c});
  port_probe(out, "arith_mul_fn", {b0, c0}, {torch::mul(c, b)});
  port_probe(out, "arith_div_bcast", {a0, b0}, {a / (b * b + 0.5)});
  port_probe(out, "arith_div_fn", {a0, c0}, {torch::div(a, c.abs() + 0.25)});
  port_probe(out, "arith_scalar_ops", {a0}, {2.5 * a - a / 3.0 + 1.25 - (0.75 - a) * 2.0 + (-a) + 1.5 / (a * a + 1.0)});
  port_probe(out, "arith_scalar_methods", {a0},
             {a.add(0.5).sub(0.25).mul(3.0).div(4.0) + a.neg() + torch::add(a, 2.0) +
              torch::sub(a, 1.0) * torch::mul(a, 0.5) + torch::div(a, 8.0)});
  port_probe(out, "arith_rsub", {a0}, {torch::rsub(a, 2.0)});
  port_probe(out, "arith_neg_fn", {c0}, {torch::neg(c)});
  port_probe(out, "arith_mixed", {a0, b0, c0}, {(a + b) * c - a / (c.abs() + 1.5) + 2.0 * b - 0.5 / (b * b + 1.0)});
}

// ---- unary (elementwise) functions and activations ----
inline void port_section_unary(PortResults& out) {
  torch::Tensor x0 = port_leaf(port_values(12, 4));
  torch::Tensor p0 = port_leaf(port_positive(12, 0));
  torch::Tensor x = x0.view({3, 4});
  torch::Tensor p = p0.view({3, 4});

  port_probe(out, "unary_exp", {x0}, {torch::exp(x)});
  port_probe(out, "unary_exp_method", {x0}, {(x * 0.5).exp()});
  port_probe(out, "unary_log", {p0}, {torch::log(p)});
  port_probe(out, "unary_log_method", {x0}, {(x * x + 0.5).log()});
  port_probe(out, "unary_log1p", {x0}, {torch::log1p(x + 1.5)});
  port_probe(out, "unary_sqrt", {p0}, {torch::sqrt(p)});
  port_probe(out, "unary_rsqrt", {p0}, {torch::rsqrt(p)});
  port_probe(out, "unary_abs", {x0}, {torch::abs(x)});
  port_probe(out, "unary_sign_times_x", {x0}, {torch::sign(x) * x});
  port_probe(out, "unary_sin", {x0}, {torch::sin(x * 2.0)});
  port_probe(out, "unary_cos", {x0}, {x.cos()});
  port_probe(out, "unary_tanh", {x0}, {torch::tanh(x * 1.5)});
  port_probe(out, "unary_sigmoid", {x0}, {torch::sigmoid(x * 2.0)});
  port_probe(out, "unary_sigmoid_method", {x0}, {x.sigmoid()});
  port_probe(out, "unary_erf", {x0}, {torch::erf(x)});
  port_probe(out, "unary_relu", {x0}, {torch::relu(x)});
  port_probe(out, "unary_relu_method", {x0}, {x.relu()});
  port_probe(out, "unary_leaky_relu_default", {x0}, {torch::leaky_relu(x)});
  port_probe(out, "unary_leaky_relu_slope", {x0}, {torch::leaky_relu(x, 0.2)});
  port_probe(out, "unary_elu_default", {x0}, {torch::elu(x)});
  port_probe(out, "unary_elu_alpha", {x0}, {torch::elu(x, 0.7)});
  port_probe(out, "unary_gelu_default", {x0}, {torch::gelu(x * 2.0)});
  port_probe(out, "unary_gelu_tanh", {x0}, {torch::gelu(x * 2.0, "tanh")});
  port_probe(out, "unary_softplus_default", {x0}, {torch::softplus(x * 3.0)});
  port_probe(out, "unary_softplus_beta_threshold", {x0}, {torch::softplus(x, 2.0, 1.0)});
  port_probe(out, "unary_square", {x0}, {torch::square(x)});
  port_probe(out, "unary_reciprocal", {p0}, {torch::reciprocal(p)});
  port_probe(out, "unary_pow_2", {x0}, {torch::pow(x, 2.0)});
  port_probe(out, "unary_pow_3", {x0}, {x.pow(3.0)});
  port_probe(out, "unary_pow_2_5", {p0}, {torch::pow(p, 2.5)});
  port_probe(out, "unary_pow_neg_0_5", {p0}, {p.pow(-0.5)});
  port_probe(out, "unary_pow_0_5", {p0}, {torch::pow(p, 0.5)});
  port_probe(out, "unary_pow_scalar_base", {x0}, {torch::pow(2.0, x)});
  port_probe(out, "unary_pow_tensor_exponent", {p0, x0}, {torch::pow(p, x)});
  port_probe(out, "unary_pow_tensor_method", {p0, x0}, {p.pow(x * 0.5)});
  port_probe(out, "unary_clamp", {x0}, {torch::clamp(x, -0.5, 0.75)});
  port_probe(out, "unary_clamp_method", {x0}, {x.clamp(-0.3, 0.4)});
  port_probe(out, "unary_clamp_min", {x0}, {torch::clamp_min(x, -0.3)});
  port_probe(out, "unary_clamp_max", {x0}, {x.clamp_max(0.4)});
  port_probe(out, "unary_clamp_min_method", {x0}, {x.clamp_min(0.1)});
  port_probe(out, "unary_clamp_max_fn", {x0}, {torch::clamp_max(x, -0.2)});
}

// ---- binary selection ops and comparisons ----
inline void port_section_binary(PortResults& out) {
  torch::Tensor a0 = port_leaf(port_values(12, 5));
  torch::Tensor b0 = port_leaf(port_values(4, 6));
  torch::Tensor a = a0.view({3, 4});
  torch::Tensor b = b0;

  port_probe(out, "binary_maximum", {a0, b0}, {torch::maximum(a, b)});
  port_probe(out, "binary_minimum", {a0, b0}, {torch::minimum(a, b)});
  port_probe(out, "binary_maximum_method", {a0, b0}, {b.maximum(a * 0.5)});
  port_probe(out, "binary_minimum_method", {a0, b0}, {a.minimum(b + 0.1)});
  port_probe(out, "binary_where", {a0, b0}, {torch::where(a > b, a * 2.0, b - 1.0)});
  port_probe(out, "binary_where_scalar_other", {a0}, {torch::where(a < 0.2, a, 0.5)});
  port_probe(out, "binary_where_scalar_self", {b0}, {torch::where(a > 0.1, -0.25, b)});

  port_put(out, "cmp_gt", a > b);
  port_put(out, "cmp_lt_scalar", a < 0.3);
  port_put(out, "cmp_ge", torch::ge(a, b));
  port_put(out, "cmp_le_method", a.le(b));
  port_put(out, "cmp_eq", torch::eq(a, a.detach()));
  port_put(out, "cmp_ne_scalar", a != 0.5);
  port_put(out, "cmp_logical_and", torch::logical_and(a > 0.0, b < 0.5));
  port_put(out, "cmp_logical_or", torch::logical_or(a > 0.9, b < -0.5));
  port_put(out, "cmp_logical_not", torch::logical_not(a > 0.0));
  port_put(out, "cmp_logical_xor", torch::logical_xor(a > 0.0, b < 0.5));
  port_put(out, "cmp_logical_xor_nonzero_is_true", torch::logical_xor(a, torch::relu(b)));
  port_put(out, "cmp_heaviside", torch::heaviside(a.detach(), port_const({0.5})));
  port_put(out, "cmp_argmax_dim", torch::argmax(a, 1));
  port_put(out, "cmp_argmin_dim_keepdim", a.argmin(0, true));
  port_put(out, "cmp_argmax_all", a.argmax());
}

// ---- reductions ----
inline void port_section_reduce(PortResults& out) {
  torch::Tensor t0 = port_leaf(port_values(24, 7));
  torch::Tensor q0 = port_leaf(port_positive(12, 1));
  torch::Tensor t = t0.view({2, 3, 4});
  torch::Tensor q = q0.view({3, 4});

  port_probe(out, "reduce_sum_all", {t0}, {t.sum()});
  port_probe(out, "reduce_sum_all_fn", {t0}, {torch::sum(t * t)});
  port_probe(out, "reduce_sum_dim", {t0}, {t.sum({1})});
  port_probe(out, "reduce_sum_dims_keepdim", {t0}, {torch::sum(t, {2, 0}, true)});
  port_probe(out, "reduce_sum_neg_dim", {t0}, {torch::sum(t, {-1}, false)});
  port_probe(out, "reduce_mean_all", {t0}, {torch::mean(t)});
  port_probe(out, "reduce_mean_dim_keepdim", {t0}, {t.mean({2}, true)});
  port_probe(out, "reduce_mean_dims", {t0}, {torch::mean(t, {1, 0}, false)});
  port_probe(out, "reduce_prod_all", {q0}, {q.prod()});
  port_probe(out, "reduce_prod_dim", {q0}, {torch::prod(q, 1)});
  port_probe(out, "reduce_prod_dim_keepdim", {q0}, {q.prod(0, true)});
  port_probe(out, "reduce_amax", {t0}, {torch::amax(t, {1})});
  port_probe(out, "reduce_amax_keepdim", {t0}, {t.amax({0, 2}, true)});
  port_probe(out, "reduce_amin", {t0}, {torch::amin(t, {2})});
  port_probe(out, "reduce_amin_method_keepdim", {t0}, {t.amin({1}, true)});
  port_probe(out, "reduce_max_all", {t0}, {t.max()});
  port_probe(out, "reduce_min_all", {t0}, {torch::min(t)});
  {
    std::tuple<torch::Tensor, torch::Tensor> mx = torch::max(t, 1);
    port_probe(out, "reduce_max_dim", {t0}, {std::get<0>(mx)});
    port_put(out, "reduce_max_dim_indices", std::get<1>(mx));
  }
  {
    std::tuple<torch::Tensor, torch::Tensor> mn = t.min(2, true);
    port_probe(out, "reduce_min_dim_keepdim", {t0}, {std::get<0>(mn)});
    port_put(out, "reduce_min_dim_keepdim_indices", std::get<1>(mn));
  }
  {
    torch::Tensor values, indices;
    std::tie(values, indices) = t.max(-1, false);
    port_probe(out, "reduce_max_last_dim", {t0}, {values});
    port_put(out, "reduce_max_last_dim_indices", indices);
  }
  port_probe(out, "reduce_var_all", {t0}, {t.var()});
  port_probe(out, "reduce_var_all_biased", {t0}, {torch::var(t, false)});
  port_probe(out, "reduce_var_dim", {t0}, {torch::var(t, {1}, true, false)});
  port_probe(out, "reduce_var_dims_biased_keepdim", {t0}, {t.var({2, 0}, false, true)});
  port_probe(out, "reduce_std_all", {t0}, {torch::std(t)});
  port_probe(out, "reduce_std_all_biased", {t0}, {t.std(false)});
  port_probe(out, "reduce_std_dim", {t0}, {t.std({2}, true, false)});
  port_probe(out, "reduce_std_dim_biased_keepdim", {t0}, {torch::std(t, {1}, false, true)});
  port_probe(out, "reduce_norm_all", {t0}, {t.norm()});
  port_probe(out, "reduce_norm_fn", {t0}, {torch::norm(t)});
  port_probe(out, "reduce_norm_p1_dim", {t0}, {torch::norm(t, 1.0, {2})});
  port_probe(out, "reduce_norm_p3_keepdim", {t0}, {t.norm(3.0, {0}, true)});
  port_probe(out, "reduce_norm_p2_dims", {t0}, {torch::norm(t, 2.0, {1, 2}, false)});
  port_probe(out, "reduce_norm_p1_all", {t0}, {t.norm(1.0)});
  port_probe(out, "reduce_logsumexp", {t0}, {torch::logsumexp(t, {1})});
  port_probe(out, "reduce_logsumexp_keepdim", {t0}, {t.logsumexp(torch::IntArrayRef{0, 2}, true)});
  port_probe(out, "reduce_logsumexp_scaled", {t0}, {torch::logsumexp(t * 20.0, {-1}, false)});
}

// ---- softmax family ----
inline void port_section_softmax(PortResults& out) {
  torch::Tensor s0 = port_leaf(port_values(24, 0));
  torch::Tensor s = s0.view({2, 3, 4}) * 2.0;

  port_probe(out, "softmax_last", {s0}, {torch::softmax(s, -1)});
  port_probe(out, "softmax_dim0", {s0}, {s.softmax(0)});
  port_probe(out, "softmax_dim1_large", {s0}, {torch::softmax(s * 30.0, 1)});
  port_probe(out, "log_softmax_dim1", {s0}, {torch::log_softmax(s, 1)});
  port_probe(out, "log_softmax_last", {s0}, {s.log_softmax(-1)});
  port_probe(out, "log_softmax_large", {s0}, {torch::log_softmax(s * 30.0, 2)});
}

// ---- matrix products ----
inline void port_section_linalg(PortResults& out) {
  torch::Tensor m0 = port_leaf(port_values(12, 1));
  torch::Tensor n0 = port_leaf(port_values(20, 2));
  torch::Tensor v0 = port_leaf(port_values(4, 3));
  torch::Tensor u0 = port_leaf(port_values(3, 0));
  torch::Tensor bias0 = port_leaf(port_values(5, 4));
  torch::Tensor ba0 = port_leaf(port_values(24, 4));
  torch::Tensor bb0 = port_leaf(port_values(24, 5));
  torch::Tensor x0 = port_leaf(port_values(24, 6));
  torch::Tensor y0 = port_leaf(port_values(40, 7));
  torch::Tensor m = m0.view({3, 4});
  torch::Tensor n = n0.view({4, 5});
  torch::Tensor v = v0;
  torch::Tensor ba = ba0.view({2, 1, 3, 4});
  torch::Tensor bb = bb0.view({3, 4, 2});
  torch::Tensor x = x0.view({2, 3, 4});
  torch::Tensor y = y0.view({2, 4, 5});

  port_probe(out, "linalg_mm", {m0, n0}, {torch::mm(m, n)});
  port_probe(out, "linalg_mm_method_transposed", {m0}, {m.t().mm(m)});
  port_probe(out, "linalg_matmul_2d", {m0, n0}, {m.matmul(n)});
  port_probe(out, "linalg_matmul_mat_vec", {m0, v0}, {torch::matmul(m, v)});
  port_probe(out, "linalg_matmul_vec_mat", {v0, n0}, {torch::matmul(v, n)});
  port_probe(out, "linalg_matmul_vec_vec", {v0}, {torch::matmul(v, v * 0.5 + 0.125)});
  port_probe(out, "linalg_matmul_batched_broadcast", {ba0, bb0}, {torch::matmul(ba, bb)});
  port_probe(out, "linalg_matmul_batched_mat", {ba0, n0}, {torch::matmul(ba, n)});
  port_probe(out, "linalg_matmul_3d_vec", {x0, v0}, {torch::matmul(x, v)});
  port_probe(out, "linalg_matmul_vec_3d", {v0, y0}, {torch::matmul(v, y)});
  port_probe(out, "linalg_matmul_3d_3d", {x0, y0}, {x.matmul(y)});
  port_probe(out, "linalg_bmm", {x0, y0}, {torch::bmm(x, y)});
  port_probe(out, "linalg_bmm_transposed", {x0}, {x.bmm(x.transpose(1, 2))});
  port_probe(out, "linalg_dot", {v0}, {torch::dot(v, v.neg() + 0.5)});
  port_probe(out, "linalg_outer", {u0, v0}, {torch::outer(u0, v)});
  port_probe(out, "linalg_addmm", {bias0, m0, n0}, {torch::addmm(bias0, m, n)});
  port_probe(out, "linalg_linear_layer", {bias0, m0, n0}, {torch::matmul(m, n) + bias0});
}

// ---- views and reshaping ----
inline void port_section_shape(PortResults& out) {
  torch::Tensor x0 = port_leaf(port_values(24, 1));
  torch::Tensor b0 = port_leaf(port_values(3, 2));
  torch::Tensor m0 = port_leaf(port_values(12, 3));
  torch::Tensor x = x0.view({2, 3, 4});
  torch::Tensor m = m0.view({3, 4});

  port_probe(out, "shape_transpose", {x0}, {x.transpose(0, 2)});
  port_probe(out, "shape_transpose_fn_neg", {x0}, {torch::transpose(x, 1, -1)});
  port_probe(out, "shape_t", {m0}, {m.t()});
  port_probe(out, "shape_t_fn", {m0}, {torch::t(m) * 2.0});
  port_probe(out, "shape_permute", {x0}, {x.permute({2, 0, 1})});
  port_probe(out, "shape_permute_fn_reshape", {x0}, {torch::permute(x, {1, 2, 0}).reshape({3, 8})});
  port_probe(out, "shape_reshape_infer", {x0}, {torch::reshape(x, {4, -1})});
  port_probe(out, "shape_view", {x0}, {x.view({6, 4})});
  port_probe(out, "shape_view_infer", {x0}, {x.view({-1, 2})});
  port_probe(out, "shape_transpose_contiguous_view", {x0}, {x.transpose(0, 1).contiguous().view({3, 8})});
  port_probe(out, "shape_view_as", {x0, m0}, {x.view_as(x * 2.0) + m});
  port_probe(out, "shape_reshape_as", {x0}, {x.reshape_as(x0.view({4, 6}))});
  port_probe(out, "shape_flatten", {x0}, {x.flatten()});
  port_probe(out, "shape_flatten_range", {x0}, {torch::flatten(x, 1, 2)});
  port_probe(out, "shape_flatten_transposed", {x0}, {x.transpose(0, 2).flatten(0, 1)});
  port_probe(out, "shape_unsqueeze", {x0}, {x.unsqueeze(1)});
  port_probe(out, "shape_unsqueeze_neg_fn", {x0}, {torch::unsqueeze(x, -1)});
  port_probe(out, "shape_squeeze_all", {x0}, {x.view({2, 1, 3, 1, 4}).squeeze()});
  port_probe(out, "shape_squeeze_dim_fn", {x0}, {torch::squeeze(x.unsqueeze(0), 0)});
  port_probe(out, "shape_squeeze_all_fn", {m0}, {torch::squeeze(m.view({1, 3, 1, 4}))});
  port_probe(out, "shape_squeeze_noop_dim", {m0}, {m.squeeze(1)});
  port_probe(out, "shape_expand", {b0}, {b0.view({3, 1}).expand({2, 3, 4})});
  port_probe(out, "shape_expand_neg1", {b0}, {b0.view({3, 1}).expand({-1, 5})});
  port_probe(out, "shape_expand_as", {b0, x0}, {b0.view({1, 3, 1}).expand_as(x) * x});
  port_probe(out, "shape_broadcast_to", {b0}, {torch::broadcast_to(b0.view({3, 1}), {2, 3, 2})});
  port_probe(out, "shape_narrow", {x0}, {x.narrow(2, 1, 2)});
  port_probe(out, "shape_narrow_fn", {x0}, {torch::narrow(x, 1, 0, 2)});
  port_probe(out, "shape_slice_step", {x0}, {x.slice(2, 0, 4, 2)});
  port_probe(out, "shape_slice_fn", {x0}, {torch::slice(x, 1, 1, 3)});
  port_probe(out, "shape_select", {x0}, {x.select(1, 2)});
  port_probe(out, "shape_select_fn_neg", {x0}, {torch::select(x, 2, -1)});
  port_probe(out, "shape_index_operator", {x0}, {x[1]});
  port_probe(out, "shape_unbind", {x0}, x.unbind(1));
  port_probe(out, "shape_unbind_fn", {m0}, torch::unbind(m, 0));
  port_probe(out, "shape_chain", {x0},
             {x.permute({1, 0, 2}).reshape({3, 8}).t().unsqueeze(0).squeeze(0).narrow(0, 2, 4)});
}

// ---- joining, splitting, indexing, padding ----
inline void port_section_join(PortResults& out) {
  torch::Tensor a0 = port_leaf(port_values(6, 2));
  torch::Tensor b0 = port_leaf(port_values(9, 3));
  torch::Tensor c0 = port_leaf(port_values(8, 4));
  torch::Tensor x0 = port_leaf(port_values(24, 5));
  torch::Tensor m0 = port_leaf(port_values(12, 6));
  torch::Tensor base0 = port_leaf(port_values(15, 7));
  torch::Tensor src0 = port_leaf(port_values(12, 0));
  torch::Tensor src1 = port_leaf(port_values(10, 1));
  torch::Tensor a = a0.view({2, 3});
  torch::Tensor b = b0.view({3, 3});
  torch::Tensor c = c0.view({2, 4});
  torch::Tensor x = x0.view({2, 3, 4});
  torch::Tensor m = m0.view({3, 4});
  torch::Tensor base = base0.view({3, 5});

  port_probe(out, "join_cat_dim0", {a0, b0}, {torch::cat({a, b}, 0)});
  port_probe(out, "join_cat_dim1_repeat", {a0, c0}, {torch::cat({a, c, a}, 1)});
  port_probe(out, "join_cat_neg_dim", {a0, c0}, {torch::cat({c, a * 2.0}, -1)});
  port_probe(out, "join_cat_default_dim", {a0, b0}, {torch::cat({b, a})});
  port_probe(out, "join_stack_dim0", {a0}, {torch::stack({a, a * 2.0}, 0)});
  port_probe(out, "join_stack_last", {a0, b0}, {torch::stack({a, b.narrow(0, 0, 2)}, 2)});
  port_probe(out, "join_stack_default", {a0, c0}, {torch::stack({a0, c0.narrow(0, 1, 6)})});
  port_probe(out, "join_split_uneven", {x0}, x.split(3, 2));
  port_probe(out, "join_split_fn", {x0}, torch::split(x, 1, 0));
  port_probe(out, "join_split_default_dim", {m0}, m.split(2));
  port_probe(out, "join_chunk", {x0}, x.chunk(2, 1));
  port_probe(out, "join_chunk_fn", {x0}, torch::chunk(x, 4, 2));
  port_probe(out, "join_chunk_uneven", {m0}, torch::chunk(m, 2, 0));

  torch::Tensor idx = torch::tensor({2, 0, 2}, torch::kInt64);
  port_probe(out, "index_select_repeat", {x0}, {x.index_select(1, idx)});
  port_probe(out, "index_select_fn", {x0}, {torch::index_select(x, 2, torch::tensor({3, 1}, torch::kInt64))});
  port_probe(out, "index_select_dim0", {m0}, {torch::index_select(m, 0, idx)});

  torch::Tensor gidx = torch::tensor({0, 2, 1, 1, 2, 2, 0, 1, 1, 0, 0, 2, 2, 1, 2, 0}, torch::kInt64).view({2, 2, 4});
  port_probe(out, "gather_dim1", {x0}, {torch::gather(x, 1, gidx)});
  torch::Tensor gidx2 = torch::tensor({3, 0, 1, 1, 0, 2}, torch::kInt64).view({3, 2});
  port_probe(out, "gather_last_method", {m0}, {m.gather(1, gidx2)});
  torch::Tensor gidx0 = torch::tensor({2, 0, 1, 0, 1, 2, 2, 1}, torch::kInt64).view({2, 4});
  port_probe(out, "gather_dim0", {m0}, {m.gather(0, gidx0)});

  torch::Tensor sidx = torch::tensor({0, 4, 4, 1, 2, 2, 2, 3, 1, 0, 3, 0}, torch::kInt64).view({3, 4});
  port_probe(out, "scatter_add_dim1", {base0, src0}, {base.scatter_add(1, sidx, src0.view({3, 4}))});
  torch::Tensor sidx0 = torch::tensor({2, 0, 1, 2, 2, 0, 0, 1, 2, 1}, torch::kInt64).view({2, 5});
  port_probe(out, "scatter_add_dim0_fn", {base0, src1}, {torch::scatter_add(base * 2.0, 0, sidx0, src1.view({2, 5}))});

  port_probe(out, "pad_last_dim", {x0}, {torch::constant_pad_nd(x, {1, 2})});
  port_probe(out, "pad_two_dims_value", {x0}, {torch::constant_pad_nd(x, {2, 0, 1, 1}, 0.5)});
  port_probe(out, "pad_three_dims", {m0}, {torch::constant_pad_nd(m.unsqueeze(0), {0, 1, 2, 0, 1, 1}, -1.5)});
}

// ---- autograd API: backward, accumulation, retain_grad, detach, no-grad, clone ----
inline void port_section_autograd(PortResults& out) {
  const torch::TensorOptions f64 = torch::TensorOptions().dtype(torch::kFloat64);
  torch::Tensor w0 = port_leaf(port_values(6, 5));
  torch::Tensor w = w0.view({2, 3});

  torch::Tensor z1 = (w * w).sum();
  z1.backward();
  port_put(out, "autograd_backward_once", w0.grad());
  torch::Tensor z2 = (torch::sin(w) * 3.0).sum();
  z2.backward();
  port_put(out, "autograd_backward_accumulates", w0.grad());

  torch::Tensor h = torch::tanh(w * 1.5);
  h.retain_grad();
  torch::Tensor o = h.matmul(port_const(port_values(3, 6)));
  o.backward(torch::tensor({0.5, -1.25}, f64));
  port_put(out, "autograd_backward_with_gradient", o);
  port_put(out, "autograd_backward_with_gradient_leaf", w0.grad());
  port_put(out, "autograd_retain_grad_nonleaf", h.grad());

  torch::Tensor r0 = port_leaf(port_values(4, 6));
  torch::Tensor ra = (r0 * r0).sum();
  torch::Tensor rb = torch::exp(r0 * 0.5);
  torch::autograd::backward({ra, rb}, {torch::tensor(2.0, f64), port_const(port_values(4, 7))});
  port_put(out, "autograd_backward_multi_root", r0.grad());

  torch::Tensor d0 = port_leaf(port_values(4, 7));
  port_probe(out, "autograd_detach", {d0}, {d0 * d0.detach() + d0.detach().exp() * d0});

  torch::Tensor ng;
  {
    torch::NoGradGuard guard;
    ng = d0 * 3.0;
  }
  port_put(out, "autograd_no_grad_value", ng);
  port_put(out, "autograd_no_grad_flags",
           torch::tensor({ng.requires_grad() ? 1.0 : 0.0, d0.requires_grad() ? 1.0 : 0.0, d0.is_leaf() ? 1.0 : 0.0,
                          (d0 * 2.0).is_leaf() ? 1.0 : 0.0},
                         f64));

  // Clone is differentiable; clone of a leaf is not a leaf.
  torch::Tensor k0 = port_leaf(port_values(6, 1));
  port_probe(out, "autograd_clone", {k0}, {torch::clone(k0) * k0.clone()});
}

// ---- in-place ops on non-leaf tensors inside a graph ----
inline void port_section_inplace(PortResults& out) {
  torch::Tensor i0 = port_leaf(port_values(6, 1));
  torch::Tensor i1 = port_leaf(port_values(6, 2));
  torch::Tensor y = i0 * 1.5;
  y.add_(i1);
  y.mul_(2.0);
  y.sub_(i1, 0.5);
  y.div_(3.0);
  y.add_(0.25);
  port_probe(out, "inplace_chain", {i0, i1}, {y});
  torch::Tensor e = i0 * 0.5;
  e.exp_();
  port_probe(out, "inplace_exp", {i0}, {e});
  // The gradient for i1 needs y's value from before mul_: libtorch keeps a copy of it.
  torch::Tensor z = i0 * 1.5 + 0.25;
  z.mul_(i1);
  port_probe(out, "inplace_mul_tensor", {i0, i1}, {z});
}

// ---- higher order: create_graph=true ----
inline void port_section_higher_order(PortResults& out) {
  // Hessian-vector product through tanh, pow, mul, softmax and sum.
  torch::Tensor x0 = port_leaf(port_values(5, 1));
  torch::Tensor f =
      (torch::tanh(x0) * x0.pow(3.0)).sum() + (torch::softmax(x0 * 1.5, 0) * port_const(port_values(5, 2))).sum();
  torch::Tensor g = torch::autograd::grad({f}, {x0}, {}, true, true)[0];
  port_put(out, "higher_grad", g);
  torch::Tensor hv = torch::autograd::grad({(g * port_const(port_values(5, 3))).sum()}, {x0})[0];
  port_put(out, "higher_hessian_vector_product", hv);

  // Elementwise second derivatives of a sum of activations: d/dx of the sum of the gradient.
  torch::Tensor e0 = port_leaf(port_values(6, 6));
  torch::Tensor fe =
      (torch::exp(e0) * torch::sin(e0) + torch::log1p(e0 * e0) + torch::gelu(e0) + torch::softplus(e0 * 2.0) +
       torch::elu(e0) + torch::sigmoid(e0) * e0.cos() + torch::sqrt(e0 * e0 + 1.0) + torch::leaky_relu(e0, 0.3) * e0)
          .sum();
  torch::Tensor ge = torch::autograd::grad({fe}, {e0}, {}, true, true)[0];
  port_put(out, "higher_elementwise_grad", ge);
  torch::Tensor gge = torch::autograd::grad({ge.sum()}, {e0})[0];
  port_put(out, "higher_elementwise_second_derivative", gge);

  // A gradient penalty: backward() through the gradients of a small network.
  torch::Tensor W0 = port_leaf(port_values(12, 4));
  torch::Tensor in0 = port_leaf(port_values(4, 5));
  torch::Tensor W = W0.view({3, 4});
  torch::Tensor net = torch::sigmoid(torch::matmul(W, in0)).pow(2.0).sum() +
                      torch::log_softmax(torch::matmul(W, in0 * 2.0), 0).select(0, 1) +
                      torch::logsumexp(W * in0, {1}, false).mean();
  std::vector<torch::Tensor> gs = torch::autograd::grad({net}, {W0, in0}, {}, true, true);
  port_put(out, "higher_penalty_grad_W", gs[0]);
  port_put(out, "higher_penalty_grad_in", gs[1]);
  torch::Tensor penalty = gs[0].pow(2.0).sum() + gs[1].norm() + (gs[0].view({3, 4}) * W).sum();
  penalty.backward();
  port_put(out, "higher_penalty_value", penalty);
  port_put(out, "higher_penalty_W_grad", W0.grad());
  port_put(out, "higher_penalty_in_grad", in0.grad());

  // Second derivatives through matmul, reductions and shape ops.
  torch::Tensor A0 = port_leaf(port_values(6, 7));
  torch::Tensor A = A0.view({2, 3});
  torch::Tensor fa = (torch::matmul(A, A.t()).pow(2.0).sum() + A.var() + torch::amax(A, {1}, false).prod() +
                      A.transpose(0, 1).reshape({6}).norm());
  torch::Tensor ga = torch::autograd::grad({fa}, {A0}, {}, true, true)[0];
  port_put(out, "higher_matmul_grad", ga);
  torch::Tensor gga = torch::autograd::grad({(ga * port_const(port_values(6, 0))).sum()}, {A0}, {}, true)[0];
  port_put(out, "higher_matmul_hessian_vector_product", gga);
}

// ---- a small training loop: two-layer network, cross-entropy, SGD under NoGradGuard ----
inline void port_section_training(PortResults& out) {
  const torch::TensorOptions f64 = torch::TensorOptions().dtype(torch::kFloat64);
  torch::Tensor X = port_const(port_values(24, 0)).view({6, 4});
  torch::Tensor labels = torch::tensor({0, 2, 1, 1, 0, 2}, torch::kInt64);
  torch::Tensor W1 = port_const(port_values(20, 1)).view({4, 5}).mul(0.5).requires_grad_(true);
  torch::Tensor b1 = torch::zeros({5}, f64.requires_grad(true));
  torch::Tensor W2 = port_const(port_values(15, 2)).view({5, 3}).requires_grad_(true);
  torch::Tensor b2 = torch::full({3}, 0.1, f64).requires_grad_(true);
  std::vector<torch::Tensor> params = {W1, b1, W2, b2};

  for (int step = 0; step < 4; ++step) {
    torch::Tensor hidden = torch::tanh(torch::matmul(X, W1) + b1);
    torch::Tensor logits = torch::matmul(hidden, W2) + b2;
    torch::Tensor logp = torch::log_softmax(logits, 1);
    torch::Tensor loss = -logp.gather(1, labels.view({-1, 1})).mean();
    loss.backward();
    port_put(out, "train_loss_step" + std::to_string(step), loss);
    if (step == 0) {
      for (std::size_t i = 0; i < params.size(); ++i) {
        port_put(out, "train_first_grad_param" + std::to_string(i), params[i].grad());
      }
    }
    {
      torch::NoGradGuard no_grad;
      for (torch::Tensor& p : params) {
        p.sub_(p.grad() * 0.5);
        p.mutable_grad().zero_();
      }
    }
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    port_put(out, "train_final_param" + std::to_string(i), params[i]);
  }
  torch::Tensor probs = torch::softmax(torch::matmul(torch::tanh(torch::matmul(X, W1) + b1), W2) + b2, 1);
  port_put(out, "train_final_probs", probs);
  port_put(out, "train_final_predictions", torch::argmax(probs, 1));
}

// ---- custom ops as libtorch writes them: torch::autograd::Function<T> ----
// x * sigmoid(x) * scale, squared when `square`; saved_data of every kind, non-tensor arguments
// (which get no gradient), a backward in tensor ops (so twice differentiable).
struct PortScaledSwish : public torch::autograd::Function<PortScaledSwish> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x, double scale, bool square) {
    ctx->save_for_backward({x});
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["square"] = square;
    ctx->saved_data["mode"] = std::string(square ? "square" : "plain");
    ctx->saved_data["power"] = static_cast<int64_t>(square ? 2 : 1);
    torch::Tensor y = x * torch::sigmoid(x) * scale;
    return square ? y * y : y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    torch::Tensor x = ctx->get_saved_variables()[0];
    const double scale = ctx->saved_data["scale"].toDouble();
    torch::Tensor s = torch::sigmoid(x);
    torch::Tensor g = grad_outputs[0] * (s + x * s * (1.0 - s)) * scale;
    if (ctx->saved_data["square"].toBool())
      g = g * (x * s * scale) * static_cast<double>(ctx->saved_data["power"].toInt());
    if (ctx->saved_data["mode"].toStringRef() != "square" && ctx->saved_data["mode"].toStringRef() != "plain")
      g = g * 0.0;
    return {g, torch::Tensor(), torch::Tensor()};
  }
};

// Two outputs from one node.
struct PortSinCos : public torch::autograd::Function<PortSinCos> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, torch::Tensor x) {
    ctx->save_for_backward({x});
    return {torch::sin(x), torch::cos(x)};
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    torch::Tensor x = ctx->get_saved_variables()[0];
    return {grad_outputs[0] * torch::cos(x) - grad_outputs[1] * torch::sin(x)};
  }
};

// The row maxima and their indices; the indices are marked non-differentiable.
struct PortMaxIndex : public torch::autograd::Function<PortMaxIndex> {
  static torch::autograd::variable_list forward(torch::autograd::AutogradContext* ctx, torch::Tensor x) {
    std::tuple<torch::Tensor, torch::Tensor> result = torch::max(x, 1);
    torch::Tensor indices = std::get<1>(result);
    ctx->mark_non_differentiable({indices});
    ctx->save_for_backward({indices});
    ctx->saved_data["sizes"] = x.sizes();
    return {std::get<0>(result), indices};
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    torch::Tensor indices = ctx->get_saved_variables()[0].unsqueeze(1);
    torch::Tensor zeros = torch::zeros(ctx->saved_data["sizes"].toIntVector(), torch::kFloat64);
    return {zeros.scatter_add(1, indices, grad_outputs[0].unsqueeze(1))};
  }
};

// In place: doubles its input and marks it dirty.
struct PortDoubleInPlace : public torch::autograd::Function<PortDoubleInPlace> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor x) {
    x.mul_(2.0);
    ctx->mark_dirty({x});
    return x;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad_outputs) {
    return {grad_outputs[0] * 2.0};
  }
};

inline void port_section_custom_function(PortResults& out) {
  torch::Tensor a0 = port_leaf(port_values(6, 1));
  torch::Tensor a = a0.view({2, 3});
  port_probe(out, "custom_swish", {a0}, {PortScaledSwish::apply(a, 1.5, false)});
  port_probe(out, "custom_swish_square", {a0}, {PortScaledSwish::apply(a, 0.5, true)});
  torch::Tensor g = torch::autograd::grad({PortScaledSwish::apply(a0, 1.5, false).sum()}, {a0}, {}, true, true)[0];
  port_put(out, "custom_swish_grad", g);
  port_put(out, "custom_swish_second_derivative", torch::autograd::grad({g.sum()}, {a0})[0]);

  torch::autograd::variable_list sc = PortSinCos::apply(a);
  port_probe(out, "custom_sincos", {a0}, {sc[0], sc[1]});
  // only one output used: the other's gradient is materialised as zeros
  port_put(out, "custom_sincos_sin_only_grad", torch::autograd::grad({(PortSinCos::apply(a)[0] * 2.0).sum()}, {a0})[0]);

  torch::autograd::variable_list mi = PortMaxIndex::apply(a);
  port_put(out, "custom_max_indices", mi[1]);
  port_put(out, "custom_max_indices_require_grad", torch::tensor({mi[1].requires_grad() ? 1.0 : 0.0}));
  port_probe(out, "custom_max_values", {a0}, {mi[0]});

  torch::Tensor h = a0 * 1.0;
  torch::Tensor d = PortDoubleInPlace::apply(h);
  port_probe(out, "custom_dirty", {a0}, {d * d});
}

using PortSection = void (*)(PortResults&);

// The sections by name, in the order port_program() runs them.
inline std::vector<std::pair<std::string, PortSection>> port_sections() {
  return {{"arith", &port_section_arith},
          {"unary", &port_section_unary},
          {"binary", &port_section_binary},
          {"reduce", &port_section_reduce},
          {"softmax", &port_section_softmax},
          {"linalg", &port_section_linalg},
          {"shape", &port_section_shape},
          {"join", &port_section_join},
          {"autograd", &port_section_autograd},
          {"inplace", &port_section_inplace},
          {"higher_order", &port_section_higher_order},
          {"training", &port_section_training},
          {"custom_function", &port_section_custom_function}};
}

// Runs every section in order.
inline PortResults port_program() {
  PortResults out;
  for (const auto& section : port_sections()) section.second(out);
  return out;
}
