// Matrix products. mm and bmm own rules, each one block (its OpDef, then its forward): both rules
// are again products, with transposed views that the BLAS call takes as flags. matmul, addmm, dot
// and outer are built from them.
#include "ops_common.h"

namespace tg {

using autograd::OpDef;
using autograd::record;
using autograd::variable_list;
using autograd::VjpContext;

namespace {

void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  ops::check_floating(a, op);
  ops::check_floating(b, op);
  if (a.dtype() != b.dtype())
    throw Error(
        fmt::format("{}: expected both operands to have the same dtype, got {} and {} "
                    "(shapes {} and {})",
                    op, dtype_name(a.dtype()), dtype_name(b.dtype()), shape_str(a.sizes()), shape_str(b.sizes())));
}

[[noreturn]] void cannot_multiply(const char* op, const Tensor& a, const Tensor& b, int64_t k1, int64_t k2) {
  throw Error(fmt::format("{}: shapes {} and {} cannot be multiplied ({} != {})", op, shape_str(a.sizes()),
                          shape_str(b.sizes()), k1, k2));
}

}  // namespace

namespace {
// a @ b, laid out as `like` is: when `like` is a transposed view (a weight used as weight.t()),
// computed as (b.t() @ a.t()).t(), the same numbers written in like's order. A gradient in its
// input's layout reaches the leaf contiguous: no strided copy when it is accumulated, no clone when
// it is adopted. (The same BLAS call, with the operands' flags swapped.)
Tensor mm_like(const Tensor& like, const Tensor& a, const Tensor& b) {
  const bool transposed =
      like.dim() == 2 && like.size(0) > 1 && like.size(1) > 1 && like.stride(0) == 1 && like.stride(1) == like.size(0);
  return transposed ? mm(b.t(), a.t()).t() : mm(a, b);
}
}  // namespace

// ---------------------------------------------------------------- mm: self [n, m] @ mat2 [m, p]
namespace {
const OpDef kMm{.name = "mm",
                .formula = "grad_self = grad.mm(mat2.t());  grad_mat2 = self.t().mm(grad)",
                .saved = {"self", "mat2"},
                .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                  Tensor self = ctx.saved("self"), mat2 = ctx.saved("mat2");
                  return {ctx.needs_input_grad(0) ? mm_like(self, grad, mat2.t()) : Tensor(),
                          ctx.needs_input_grad(1) ? mm_like(mat2, self.t(), grad) : Tensor()};
                }};
}  // namespace

Tensor mm(const Tensor& self, const Tensor& mat2) {
  check_operands(self, mat2, "mm");
  if (self.dim() != 2 || mat2.dim() != 2)
    throw Error(fmt::format("mm: expected 2-D matrices, got shapes {} and {}", shape_str(self.sizes()),
                            shape_str(mat2.sizes())));
  if (self.size(1) != mat2.size(0)) cannot_multiply("mm", self, mat2, self.size(1), mat2.size(0));
  Tensor out = kernels::matmul2d(self, mat2);
  if (autograd::needs_grad(kMm, {&self, &mat2}, out))
    record(kMm, {&self, &mat2}, out).save("self", self).save("mat2", mat2);
  return out;
}

// ---------------------------------------------------------------- bmm: self [b, n, m] @ mat2 [b, m, p]
namespace {
const OpDef kBmm{.name = "bmm",
                 .formula = "grad_self = grad.bmm(mat2.transpose(1, 2));  grad_mat2 = self.transpose(1, 2).bmm(grad)",
                 .saved = {"self", "mat2"},
                 .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                   return {ctx.needs_input_grad(0) ? bmm(grad, ctx.saved("mat2").transpose(1, 2)) : Tensor(),
                           ctx.needs_input_grad(1) ? bmm(ctx.saved("self").transpose(1, 2), grad) : Tensor()};
                 }};
}  // namespace

Tensor bmm(const Tensor& self, const Tensor& mat2) {
  check_operands(self, mat2, "bmm");
  if (self.dim() != 3 || mat2.dim() != 3)
    throw Error(fmt::format("bmm: expected 3-D tensors, got shapes {} and {}", shape_str(self.sizes()),
                            shape_str(mat2.sizes())));
  if (self.size(0) != mat2.size(0))
    throw Error(
        fmt::format("bmm: batch sizes differ: shapes {} and {}", shape_str(self.sizes()), shape_str(mat2.sizes())));
  if (self.size(2) != mat2.size(1)) cannot_multiply("bmm", self, mat2, self.size(2), mat2.size(1));
  Tensor out = kernels::bmm(self, mat2);
  if (autograd::needs_grad(kBmm, {&self, &mat2}, out))
    record(kBmm, {&self, &mat2}, out).save("self", self).save("mat2", mat2);
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "matmul");
  int64_t da = a.dim(), db = b.dim();
  if (da == 0 || db == 0)
    throw Error(fmt::format("matmul: both arguments need at least 1 dimension, got shapes {} and {}",
                            shape_str(a.sizes()), shape_str(b.sizes())));
  int64_t ka = a.size(-1), kb = db == 1 ? b.size(0) : b.size(-2);
  if (ka != kb) cannot_multiply("matmul", a, b, ka, kb);
  if (da == 1 && db == 1) return mm(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  if (da == 2 && db == 1) return mm(a, b.unsqueeze(1)).squeeze(1);
  if (da == 1 && db == 2) return mm(a.unsqueeze(0), b).squeeze(0);
  if (da == 2 && db == 2) return mm(a, b);
  if (da >= 3 && db <= 2) {
    // fold a's batch dims into rows: one gemm instead of a batch of small ones
    DimVector out_sizes(a.sizes());
    Tensor b2 = db == 1 ? b.unsqueeze(1) : b;
    Tensor rows = mm(a.reshape({-1, ka}), b2);
    if (db == 1)
      out_sizes.erase(out_sizes.size() - 1);
    else
      out_sizes[out_sizes.size() - 1] = b.size(1);
    return rows.reshape(out_sizes);
  }
  Tensor a1 = da == 1 ? a.unsqueeze(0) : a;
  Tensor b1 = db == 1 ? b.unsqueeze(1) : b;
  int64_t m = a1.size(-2), n = b1.size(-1);
  std::vector<int64_t> batch = broadcast_shapes(IntArrayRef(a1.sizes().data(), a1.sizes().size() - 2),
                                                IntArrayRef(b1.sizes().data(), b1.sizes().size() - 2));
  std::vector<int64_t> a_full = batch, b_full = batch, out_sizes = batch;
  a_full.insert(a_full.end(), {m, ka});
  b_full.insert(b_full.end(), {ka, n});
  Tensor product = bmm(a1.expand(a_full).reshape({-1, m, ka}), b1.expand(b_full).reshape({-1, ka, n}));
  if (da > 1) out_sizes.push_back(m);
  if (db > 1) out_sizes.push_back(n);
  return product.reshape(out_sizes);
}

// ---------------------------------------------------------------- addmm: beta self + alpha mat1 @ mat2
// One node, and one pass fewer than self + mm(...): the kernel copies self (broadcast) into the
// output and the gemm adds the product to it. nn::Linear's forward.
namespace {
const OpDef kAddmm{.name = "addmm",
                   .formula =
                       "grad_self = beta * grad;  grad_mat1 = alpha * grad.mm(mat2.t());  "
                       "grad_mat2 = alpha * mat1.t().mm(grad)",
                   .saved = {"mat1", "mat2"},
                   .scalars = {"beta", "alpha"},
                   .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list {
                     const double beta = ctx.arg("beta"), alpha = ctx.arg("alpha");
                     auto scaled = [](Tensor t, double s) { return s == 1 ? t : t * s; };
                     Tensor mat1 = ctx.saved("mat1"), mat2 = ctx.saved("mat2");
                     return {ctx.needs_input_grad(0) ? scaled(grad, beta) : Tensor(),
                             ctx.needs_input_grad(1) ? scaled(mm_like(mat1, grad, mat2.t()), alpha) : Tensor(),
                             ctx.needs_input_grad(2) ? scaled(mm_like(mat2, mat1.t(), grad), alpha) : Tensor()};
                   }};
}  // namespace

Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, double beta, double alpha) {
  check_operands(mat1, mat2, "addmm");
  ops::check_floating(self, "addmm");
  if (mat1.dim() != 2 || mat2.dim() != 2)
    throw Error(fmt::format("addmm: expected 2-D matrices, got shapes {} and {}", shape_str(mat1.sizes()),
                            shape_str(mat2.sizes())));
  if (mat1.size(1) != mat2.size(0)) cannot_multiply("addmm", mat1, mat2, mat1.size(1), mat2.size(0));
  if (self.dtype() != mat1.dtype())
    throw Error(fmt::format("addmm: expected self to have the dtype of the matrices ({}), got {} (shape {})",
                            dtype_name(mat1.dtype()), dtype_name(self.dtype()), shape_str(self.sizes())));
  const std::vector<int64_t> out_sizes{mat1.size(0), mat2.size(1)};
  bool broadcastable = self.dim() <= 2;
  for (int64_t d = 1; broadcastable && d <= self.dim(); ++d)
    broadcastable = self.size(-d) == 1 || self.size(-d) == out_sizes[static_cast<std::size_t>(2 - d)];
  if (!broadcastable)
    throw Error(fmt::format("addmm: self {} cannot be broadcast to the product's shape {} ({} @ {})",
                            shape_str(self.sizes()), shape_str(out_sizes), shape_str(mat1.sizes()),
                            shape_str(mat2.sizes())));
  Tensor out = kernels::addmm(self, mat1, mat2, beta, alpha);
  if (autograd::needs_grad(kAddmm, {&self, &mat1, &mat2}, out))
    record(kAddmm, {&self, &mat1, &mat2}, out)
        .save("mat1", mat1)
        .save("mat2", mat2)
        .arg("beta", beta)
        .arg("alpha", alpha);
  return out;
}

Tensor dot(const Tensor& a, const Tensor& b) {
  if (a.defined() && b.defined() && (a.dim() != 1 || b.dim() != 1))
    throw Error(
        fmt::format("dot: expected 1-D tensors, got shapes {} and {}", shape_str(a.sizes()), shape_str(b.sizes())));
  if (a.defined() && b.defined() && a.size(0) != b.size(0))
    throw Error(fmt::format("dot: inconsistent tensor sizes {} and {}", shape_str(a.sizes()), shape_str(b.sizes())));
  return matmul(a, b);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  if (a.defined() && b.defined() && (a.dim() != 1 || b.dim() != 1))
    throw Error(
        fmt::format("outer: expected 1-D tensors, got shapes {} and {}", shape_str(a.sizes()), shape_str(b.sizes())));
  return mul(a.unsqueeze(1), b.unsqueeze(0));
}

namespace ops {
void add_linalg_ops(std::vector<const autograd::OpDef*>& out) {
  out.push_back(&kMm);
  out.push_back(&kBmm);
  out.push_back(&kAddmm);
}
}  // namespace ops

}  // namespace tg
