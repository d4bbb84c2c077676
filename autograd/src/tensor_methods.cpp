// Every out-of-line method of tg::Tensor, and the operators: the in-place ops (which bump the
// version counter so that backward can detect a modified saved tensor), the methods that are not
// just a call of a same-named free function (view_as, operator[], index, eq(double), ...), the
// autograd state (requires_grad, grad, hooks, retain_grad, backward, set_data), the random fills,
// and the operators. TensorBase's methods (sizes, data_ptr, item) are core's
// (core/src/tensor_base.cpp).
// The methods that are such a call are defined inline in tensor.h, from the list in
// <tapegrad/functions_and_methods.h>. One primitive lives here, the dtype conversion `to`: its
// OpDef and right after it its forward.
#include "ops_common.h"
#include "provenance.h"

namespace tg {

using autograd::OpDef;
using autograd::record;
using autograd::variable_list;
using autograd::VjpContext;
using kernels::Binary;
using kernels::Unary;

// ---------------------------------------------------------------- dtype conversion: to
// Recorded only for a floating-point target (an integer result cannot require grad).
namespace {
const OpDef kTo{
    .name = "to",
    .formula = "grad_self = grad.to(self.dtype)",
    .vjp = [](const VjpContext& ctx, const Tensor& grad) -> variable_list { return {grad.to(ctx.input(0).dtype)}; }};
}  // namespace

Tensor Tensor::to(ScalarType target) const {
  ops::check_defined(*this, "to");
  if (dtype() == target) return *this;
  Tensor out = detail::make_tensor(sizes(), target);
  kernels::copy(out, *this);
  if (!tg::is_floating_point(target)) {
    // an integer or Bool result has no gradient: note the cut (provenance.h)
    autograd::note_not_differentiable(target == kBool ? "to(kBool)" : "to(kInt64)", {this}, out);
  } else if (autograd::needs_grad(kTo, {this}, out)) {
    record(kTo, {this}, out);
  }
  return out;
}

Tensor Tensor::to(TensorOptions options) const {
  Tensor out = to(options.dtype_opt().value_or(dtype()));
  if (options.requires_grad()) out.requires_grad_(true);
  return out;
}

Tensor Tensor::contiguous() const {
  ops::check_defined(*this, "contiguous");
  return is_contiguous() ? *this : tg::clone(*this);
}

namespace ops {
void add_conversion_ops(std::vector<const autograd::OpDef*>& out) { out.push_back(&kTo); }
}  // namespace ops

// ---------------------------------------------------------------- in-place machinery
namespace {

// Runs an in-place op. Without a graph to record (grad mode off, or nothing requires grad) the
// kernel writes into self's memory. With one, the op runs out of place on a clone of self (so a
// node that saves its input keeps the value from before the write, as libtorch's in-place ops
// do), the result is copied into self, and self takes the new node as its grad_fn.
template <typename Kernel, typename OutOfPlace>
Tensor& inplace(const Tensor& self_in, const char* name, std::initializer_list<const Tensor*> others, Kernel kernel,
                OutOfPlace out_of_place) {
  Tensor& self = const_cast<Tensor&>(self_in);  // a handle: in-place ops are const, as libtorch's
  ops::check_defined(self, name);
  bool others_need_grad = false;
  for (const Tensor* o : others) {
    ops::check_defined(*o, name, "argument");
    if (o->requires_grad()) others_need_grad = true;
  }
  bool recording = is_grad_enabled() && (self.requires_grad() || others_need_grad);
  if (recording) {
    if (self.is_leaf() && self.requires_grad())
      throw Error(
          fmt::format("{}: a leaf tensor that requires grad (shape {}) is being used in an "
                      "in-place operation; wrap the update in tg::NoGradGuard",
                      name, shape_str(self.sizes())));
    if (self.unsafe_impl()->is_view)
      throw Error(
          fmt::format("{}: in-place modification of a view (shape {}) while recording "
                      "gradients is not supported; clone() it first",
                      name, shape_str(self.sizes())));
    Tensor result = out_of_place(tg::clone(self));
    if (!result.sizes().equals(self.sizes()))
      throw Error(fmt::format("{}: the result of shape {} cannot be written into a tensor of shape {}", name,
                              shape_str(result.sizes()), shape_str(self.sizes())));
    kernels::copy(self, result);
    detail::bump_version(self);
    TensorImpl* impl = self.unsafe_impl();
    impl->grad_fn = result.grad_fn();
    impl->output_nr = 0;  // the in-place op's node has one output
    impl->requires_grad = true;
    if (impl->grad_fn) autograd::NodeBuilder::set_output_meta(*impl->grad_fn, {self.sizes(), self.dtype()});
    return self;
  }
  kernel();
  detail::bump_version(self);
  return self;
}

void check_inplace_broadcast(const Tensor& self, const Tensor& other, const char* name) {
  DimVector out = kernels::broadcast_shape(self.sizes(), other.sizes(), name);
  if (!IntArrayRef(out).equals(self.sizes()))
    throw Error(fmt::format("{}: output with shape {} doesn't match the broadcast shape {}", name,
                            shape_str(self.sizes()), shape_str(out)));
}

void check_inplace_dtype(const Tensor& self, ScalarType result, const char* name) {
  if (kernels::promote(self.dtype(), result) != self.dtype() && self.dtype() != result)
    throw Error(fmt::format("{}: result type {} can't be cast to the desired output type {}", name, dtype_name(result),
                            dtype_name(self.dtype())));
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, double alpha) const {
  check_inplace_broadcast(*this, other, "add_");
  check_inplace_dtype(*this, other.dtype(), "add_");
  return inplace(
      *this, "add_", {&other},
      [&] { kernels::binary_inplace(*this, other, alpha == 1 ? Binary::Add : Binary::AddScaled, alpha); },
      [&](const Tensor& current) { return tg::add(current, other, alpha); });
}
Tensor& Tensor::add_(double other, double alpha) const {
  return inplace(
      *this, "add_", {}, [&] { kernels::unary_inplace(*this, Unary::AddScalar, other * alpha); },
      [&](const Tensor& current) { return tg::add(current, other, alpha); });
}
Tensor& Tensor::sub_(const Tensor& other, double alpha) const { return add_(other, -alpha); }
Tensor& Tensor::sub_(double other, double alpha) const { return add_(-other, alpha); }
Tensor& Tensor::mul_(const Tensor& other) const {
  check_inplace_broadcast(*this, other, "mul_");
  check_inplace_dtype(*this, other.dtype(), "mul_");
  return inplace(
      *this, "mul_", {&other}, [&] { kernels::binary_inplace(*this, other, Binary::Mul); },
      [&](const Tensor& current) { return tg::mul(current, other); });
}
Tensor& Tensor::mul_(double other) const {
  return inplace(
      *this, "mul_", {}, [&] { kernels::unary_inplace(*this, Unary::MulScalar, other); },
      [&](const Tensor& current) { return tg::mul(current, other); });
}
Tensor& Tensor::div_(const Tensor& other) const {
  check_inplace_broadcast(*this, other, "div_");
  if (!is_floating_point())
    throw Error(
        fmt::format("div_: result type Float can't be cast to the desired output type {}", dtype_name(dtype())));
  return inplace(
      *this, "div_", {&other}, [&] { kernels::binary_inplace(*this, other, Binary::Div); },
      [&](const Tensor& current) { return tg::div(current, other); });
}
Tensor& Tensor::div_(double other) const {
  if (!is_floating_point())
    throw Error(
        fmt::format("div_: result type Float can't be cast to the desired output type {}", dtype_name(dtype())));
  return inplace(
      *this, "div_", {}, [&] { kernels::binary_inplace(*this, scalar_tensor(other, dtype()), Binary::Div); },
      [&](const Tensor& current) { return tg::div(current, other); });
}
Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) const {
  if (!min && !max) throw Error("clamp_: at least one of min and max must be given");
  double lo = min.value_or(-std::numeric_limits<double>::infinity());
  double hi = max.value_or(std::numeric_limits<double>::infinity());
  return inplace(
      *this, "clamp_", {}, [&] { kernels::unary_inplace(*this, Unary::Clamp, lo, hi); },
      [&](const Tensor& current) { return tg::clamp(current, min, max); });
}
Tensor& Tensor::relu_() const {
  return inplace(
      *this, "relu_", {}, [&] { kernels::unary_inplace(*this, Unary::Relu); },
      [&](const Tensor& current) { return tg::relu(current); });
}
Tensor& Tensor::exp_() const {
  ops::check_floating(*this, "exp_");
  return inplace(
      *this, "exp_", {}, [&] { kernels::unary_inplace(*this, Unary::Exp); },
      [&](const Tensor& current) { return tg::exp(current); });
}
Tensor& Tensor::neg_() const {
  return inplace(
      *this, "neg_", {}, [&] { kernels::unary_inplace(*this, Unary::Neg); },
      [&](const Tensor& current) { return tg::neg(current); });
}
Tensor& Tensor::sqrt_() const {
  ops::check_floating(*this, "sqrt_");
  return inplace(
      *this, "sqrt_", {}, [&] { kernels::unary_inplace(*this, Unary::Sqrt); },
      [&](const Tensor& current) { return tg::sqrt(current); });
}
Tensor& Tensor::pow_(double exponent) const {
  ops::check_floating(*this, "pow_");
  return inplace(
      *this, "pow_", {}, [&] { kernels::unary_inplace(*this, Unary::PowScalar, exponent); },
      [&](const Tensor& current) { return tg::pow(current, exponent); });
}
Tensor& Tensor::addcmul_(const Tensor& a, const Tensor& b, double value) const {
  Tensor product = tg::mul(a, b);
  check_inplace_broadcast(*this, product, "addcmul_");
  return inplace(
      *this, "addcmul_", {&a, &b}, [&] { kernels::binary_inplace(*this, product, Binary::AddScaled, value); },
      [&](const Tensor& current) { return tg::add(current, product, value); });
}
Tensor& Tensor::addcdiv_(const Tensor& a, const Tensor& b, double value) const {
  Tensor quotient = tg::div(a, b);
  check_inplace_broadcast(*this, quotient, "addcdiv_");
  return inplace(
      *this, "addcdiv_", {&a, &b}, [&] { kernels::binary_inplace(*this, quotient, Binary::AddScaled, value); },
      [&](const Tensor& current) { return tg::add(current, quotient, value); });
}
Tensor& Tensor::lerp_(const Tensor& end, double weight) const {
  Tensor step_towards = tg::sub(end, *this);
  check_inplace_broadcast(*this, step_towards, "lerp_");
  return inplace(
      *this, "lerp_", {&end}, [&] { kernels::binary_inplace(*this, step_towards, Binary::AddScaled, weight); },
      [&](const Tensor& current) { return tg::add(current, step_towards, weight); });
}

Tensor& Tensor::copy_(const Tensor& src) const {
  ops::check_defined(*this, "copy_");
  ops::check_defined(src, "copy_", "source");
  check_inplace_broadcast(*this, src, "copy_");
  return inplace(
      *this, "copy_", {&src}, [&] { kernels::copy(*this, src); },
      [&](const Tensor&) { return tg::clone(src.to(dtype()).expand(sizes())); });
}
Tensor& Tensor::fill_(double value) const {
  return inplace(
      *this, "fill_", {}, [&] { kernels::fill(*this, value); },
      [&](const Tensor& current) { return tg::add(tg::mul(current, 0.0), value); });
}
Tensor& Tensor::zero_() const { return fill_(0); }

// ---------------------------------------------------------------- methods that are not a same-named call
Tensor Tensor::view_as(const Tensor& other) const { return tg::view(*this, other.sizes()); }
Tensor Tensor::reshape_as(const Tensor& other) const { return tg::reshape(*this, other.sizes()); }
Tensor Tensor::expand_as(const Tensor& other) const { return tg::expand(*this, other.sizes()); }
Tensor Tensor::operator[](int64_t index) const { return tg::select(*this, 0, index); }

namespace {
Tensor compare_scalar(const Tensor& t, double v, Unary op, const char* name) {
  ops::check_defined(t, name);
  Tensor out = kernels::unary(t, op, v);
  autograd::note_not_differentiable(name, {&t}, out);
  return out;
}
}  // namespace
Tensor Tensor::eq(double o) const { return compare_scalar(*this, o, Unary::EqScalar, "eq"); }
Tensor Tensor::ne(double o) const { return compare_scalar(*this, o, Unary::NeScalar, "ne"); }
Tensor Tensor::lt(double o) const { return compare_scalar(*this, o, Unary::LtScalar, "lt"); }
Tensor Tensor::le(double o) const { return compare_scalar(*this, o, Unary::LeScalar, "le"); }
Tensor Tensor::gt(double o) const { return compare_scalar(*this, o, Unary::GtScalar, "gt"); }
Tensor Tensor::ge(double o) const { return compare_scalar(*this, o, Unary::GeScalar, "ge"); }

// ---------------------------------------------------------------- operators
Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return rsub(b, a); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(double a, const Tensor& b) {
  ops::check_defined(b, "div");
  return div(scalar_tensor(a, b.is_floating_point() ? b.dtype() : kFloat32), b);
}
Tensor operator-(const Tensor& a) { return neg(a); }
Tensor& operator+=(Tensor& a, const Tensor& b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, const Tensor& b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, const Tensor& b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, const Tensor& b) { return a.div_(b); }
Tensor& operator+=(Tensor& a, double b) { return a.add_(b); }
Tensor& operator-=(Tensor& a, double b) { return a.sub_(b); }
Tensor& operator*=(Tensor& a, double b) { return a.mul_(b); }
Tensor& operator/=(Tensor& a, double b) { return a.div_(b); }
Tensor operator==(const Tensor& a, const Tensor& b) { return eq(a, b); }
Tensor operator!=(const Tensor& a, const Tensor& b) { return ne(a, b); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator==(const Tensor& a, double b) { return a.eq(b); }
Tensor operator!=(const Tensor& a, double b) { return a.ne(b); }
Tensor operator<(const Tensor& a, double b) { return a.lt(b); }
Tensor operator<=(const Tensor& a, double b) { return a.le(b); }
Tensor operator>(const Tensor& a, double b) { return a.gt(b); }
Tensor operator>=(const Tensor& a, double b) { return a.ge(b); }
namespace {
void check_bool_operands(const Tensor& a, const Tensor& b, const char* op) {
  ops::check_defined(a, op);
  ops::check_defined(b, op);
  if (a.dtype() != kBool || b.dtype() != kBool)
    throw Error(fmt::format("{}: only Bool tensors are supported here, got {} and {}", op, dtype_name(a.dtype()),
                            dtype_name(b.dtype())));
}
}  // namespace
Tensor operator~(const Tensor& a) {
  check_bool_operands(a, a, "bitwise_not");
  return logical_not(a);
}
Tensor operator&(const Tensor& a, const Tensor& b) {
  check_bool_operands(a, b, "bitwise_and");
  return logical_and(a, b);
}
Tensor operator|(const Tensor& a, const Tensor& b) {
  check_bool_operands(a, b, "bitwise_or");
  return logical_or(a, b);
}
Tensor operator^(const Tensor& a, const Tensor& b) {
  check_bool_operands(a, b, "bitwise_xor");
  return logical_xor(a, b);
}

// ---------------------------------------------------------------- autograd state

namespace {
TensorImpl& impl_of(const Tensor& t, const char* what) {
  if (!t.defined()) throw Error(std::string(what) + ": called on an undefined tensor");
  return *t.unsafe_impl();
}
}  // namespace

bool Tensor::requires_grad() const {
  const TensorImpl& impl = impl_of(*this, "requires_grad");
  return impl.requires_grad || impl.grad_fn != nullptr;
}

Tensor& Tensor::requires_grad_(bool flag) const {
  TensorImpl& impl = impl_of(*this, "requires_grad_");
  if (impl.grad_fn && !flag)
    throw Error(
        fmt::format("requires_grad_: you can only change requires_grad of leaf tensors; "
                    "this one is the output of '{}' (use detach())",
                    impl.grad_fn->name()));
  if (flag && !tg::is_floating_point(impl.dtype))
    throw Error(
        fmt::format("requires_grad_: only floating-point tensors can require gradients, "
                    "got a {} tensor of shape {}",
                    dtype_name(impl.dtype), shape_str(impl.sizes)));
  // A leaf that requires grad gets its AutogradMeta now, as libtorch's set_requires_grad does: a
  // reference from grad() then follows later backward passes, and the first use from several
  // threads finds it made.
  if (flag) {
    autograd::AutogradMeta& meta = autograd::materialize_autograd_meta(impl);
    // explain_grad: cuts made before this leaf existed are not about it (provenance.h)
    if (meta.cuts_before == 0) meta.cuts_before = autograd::cut_clock() + 1;
  }
  impl.requires_grad = flag;
  return const_cast<Tensor&>(*this);
}

const Tensor& Tensor::grad() const {
  static const Tensor undefined;
  const autograd::AutogradMeta* meta = autograd::autograd_meta(impl_of(*this, "grad"));
  return meta ? meta->grad : undefined;
}
Tensor& Tensor::mutable_grad() const {
  return autograd::materialize_autograd_meta(impl_of(*this, "mutable_grad")).grad;
}
bool Tensor::is_leaf() const { return impl_of(*this, "is_leaf").grad_fn == nullptr; }
const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { return impl_of(*this, "grad_fn").grad_fn; }
uint32_t Tensor::output_nr() const { return impl_of(*this, "output_nr").output_nr; }

void Tensor::retain_grad() const {
  TensorImpl& impl = impl_of(*this, "retain_grad");
  if (!requires_grad())
    throw Error("retain_grad: can't retain_grad on a tensor that doesn't require gradient (shape " +
                shape_str(impl.sizes) + ")");
  if (!impl.grad_fn) return;  // leaves keep their grad anyway
  autograd::materialize_autograd_meta(impl).retains_grad = true;
  impl.grad_fn->set_retain_grad_target(impl_ptr(), impl.output_nr);
}

bool Tensor::retains_grad() const {
  const autograd::AutogradMeta* meta = autograd::autograd_meta(impl_of(*this, "retains_grad"));
  return meta && meta->retains_grad;
}

unsigned Tensor::register_hook_fn(std::function<Tensor(const Tensor&)> hook) const {
  TensorImpl& impl = impl_of(*this, "register_hook");
  if (!requires_grad())
    throw Error(
        "register_hook: cannot register a hook on a tensor that doesn't require gradient "
        "(shape " +
        shape_str(impl.sizes) + ")");
  if (impl.grad_fn) return impl.grad_fn->add_pre_hook(std::move(hook), impl.output_nr);
  static std::atomic<unsigned> leaf_handles{1u << 30};
  unsigned handle = leaf_handles++;
  autograd::materialize_autograd_meta(impl).hooks.emplace_back(handle, std::move(hook));
  return handle;
}

void Tensor::remove_hook(unsigned handle) const {
  TensorImpl& impl = impl_of(*this, "remove_hook");
  if (impl.grad_fn) impl.grad_fn->remove_pre_hook(handle);
  if (autograd::AutogradMeta* meta = autograd::autograd_meta(impl))
    std::erase_if(meta->hooks, [&](const auto& entry) { return entry.first == handle; });
}

Tensor Tensor::detach() const {
  const TensorImpl& impl = impl_of(*this, "detach");
  Tensor out = detail::make_view(*this, impl.sizes, impl.strides, impl.offset);
  out.unsafe_impl()->is_view = impl.is_view;
  autograd::note_detached("detach", *this, out);
  return out;
}

Tensor& Tensor::detach_() const {
  TensorImpl& impl = impl_of(*this, "detach_");
  if (impl.requires_grad || impl.grad_fn) {  // it now carries no graph: say why (provenance.h)
    impl.untracked_origin = "detach_";
    impl.untracked_reason = static_cast<uint8_t>(autograd::Untracked::Detached);
  }
  impl.grad_fn.reset();
  impl.output_nr = 0;
  impl.requires_grad = false;
  return const_cast<Tensor&>(*this);
}

void Tensor::set_data(const Tensor& new_data) const {
  TensorImpl& impl = impl_of(*this, "set_data");
  if (!new_data.defined()) throw Error("set_data: new data is an undefined tensor");
  if (impl.requires_grad && !tg::is_floating_point(new_data.dtype()))
    throw Error(fmt::format("set_data: a tensor that requires grad needs floating-point data, got {}",
                            dtype_name(new_data.dtype())));
  const TensorImpl& src = *new_data.unsafe_impl();
  const bool dtype_changed = impl.dtype != src.dtype;
  const bool sizes_changed =
      !(IntArrayRef(impl.sizes.data(), impl.sizes.size()) == IntArrayRef(src.sizes.data(), src.sizes.size()));
  impl.storage = src.storage;
  impl.sizes = src.sizes;
  impl.strides = src.strides;
  impl.offset = src.offset;
  impl.numel = src.numel;
  impl.dtype = src.dtype;
  impl.contiguous = src.contiguous;
  if (autograd::AutogradMeta* meta = autograd::autograd_meta(impl)) {
    if (sizes_changed)
      meta->grad = Tensor();
    else if (dtype_changed && meta->grad.defined())
      meta->grad = meta->grad.detach().to(impl.dtype);
  }
}

// ---------------------------------------------------------------- indexing
// Tensor::index: integers select (and drop a dim), Slices slice, None inserts a size-1 dim,
// Ellipsis stands for as many full slices as needed.
Tensor Tensor::index(const std::vector<indexing::TensorIndex>& indices) const {
  using Kind = indexing::TensorIndex::Kind;
  ops::check_defined(*this, "index");
  int64_t consumed = 0, ellipses = 0;
  for (const auto& i : indices) {
    if (i.kind() == Kind::Integer || i.kind() == Kind::Slice) ++consumed;
    if (i.kind() == Kind::Ellipsis) ++ellipses;
  }
  if (ellipses > 1) throw Error("index: an index can only have a single ellipsis");
  if (consumed > dim())
    throw Error(fmt::format("index: too many indices for a tensor of dimension {} (got {})", dim(), consumed));
  Tensor out = *this;
  int64_t d = 0;
  for (const auto& i : indices) {
    switch (i.kind()) {
      case Kind::Integer: out = tg::select(out, d, i.integer()); break;
      case Kind::Slice:
        out = tg::slice(out, d, i.slice().start, i.slice().stop, i.slice().step.value_or(1));
        ++d;
        break;
      case Kind::None:
        out = out.unsqueeze(d);
        ++d;
        break;
      case Kind::Ellipsis: d += dim() - consumed; break;
    }
  }
  return out;
}
Tensor Tensor::index(std::initializer_list<indexing::TensorIndex> indices) const {
  return index(std::vector<indexing::TensorIndex>(indices));
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph) const {
  autograd::backward({*this}, gradient.defined() ? std::vector<Tensor>{gradient} : std::vector<Tensor>{}, retain_graph,
                     create_graph);
}

// ---------------------------------------------------------------- random fills
Tensor& Tensor::normal_(double mean, double std) const {
  if (!defined() || !is_floating_point()) throw Error("normal_: expected a defined floating-point tensor");
  if (is_grad_enabled() && requires_grad() && is_leaf())
    throw Error(
        "normal_: a leaf tensor that requires grad is being used in an in-place operation; wrap it in tg::NoGradGuard");
  Tensor values = randn(sizes(), dtype());
  kernels::copy(
      *this, kernels::unary(kernels::unary(values, kernels::Unary::MulScalar, std), kernels::Unary::AddScalar, mean));
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

Tensor& Tensor::uniform_(double from, double to) const {
  if (!defined() || !is_floating_point()) throw Error("uniform_: expected a defined floating-point tensor");
  if (is_grad_enabled() && requires_grad() && is_leaf())
    throw Error(
        "uniform_: a leaf tensor that requires grad is being used in an in-place operation; wrap it in "
        "tg::NoGradGuard");
  Tensor values = rand(sizes(), dtype());
  kernels::copy(*this, kernels::unary(kernels::unary(values, kernels::Unary::MulScalar, to - from),
                                      kernels::Unary::AddScalar, from));
  detail::bump_version(*this);
  return const_cast<Tensor&>(*this);
}

}  // namespace tg
