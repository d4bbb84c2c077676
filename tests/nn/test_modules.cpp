// tg::nn: the Module API (registration, names, state dicts, modes, hooks, printing), layer
// semantics against independent naive loops, initialisation statistics, utils and module errors.
#include <tapegrad/tapegrad.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include "../error_of.h"

namespace nn = tg::nn;
namespace F = tg::nn::functional;
using ::testing::HasSubstr;
using tg::Tensor;

namespace {

using tg_test::error_of;

struct NetImpl : nn::Module {
  NetImpl() {
    fc1 = register_module("fc1", nn::Linear(4, 3));
    bn = register_module("bn", nn::BatchNorm1d(3));
    fc2 = register_module("fc2", nn::Linear(nn::LinearOptions(3, 2).bias(false)));
    scale = register_parameter("scale", tg::ones({1}));
  }
  Tensor forward(const Tensor& x) { return fc2->forward(bn->forward(fc1->forward(x)).relu()) * scale; }
  nn::Linear fc1{nullptr};
  nn::BatchNorm1d bn{nullptr};
  nn::Linear fc2{nullptr};
  Tensor scale;
};
TG_MODULE(Net);

double max_abs_diff(const Tensor& a, const Tensor& b) { return (a - b).abs().max().item_double(); }

}  // namespace

TEST(Module, NamesParametersBuffersAndStateDictLikePyTorch) {
  Net net;
  std::vector<std::string> names = net->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight"}));
  EXPECT_EQ(net->parameters().size(), 6u);
  EXPECT_EQ(net->named_buffers().keys(),
            (std::vector<std::string>{"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"}));
  // PyTorch's state_dict order: own parameters, own buffers, then children in order
  EXPECT_EQ(net->state_dict().keys(),
            (std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean",
                                      "bn.running_var", "bn.num_batches_tracked", "fc2.weight"}));
  EXPECT_EQ(net->children().size(), 3u);
  EXPECT_EQ(net->named_modules().keys(), (std::vector<std::string>{"", "fc1", "bn", "fc2"}));
  EXPECT_EQ(net->named_parameters(false).keys(), (std::vector<std::string>{"scale"}));
  EXPECT_TRUE(net->fc1->weight.requires_grad());
  EXPECT_FALSE(net->bn->running_mean.requires_grad());
  // the member handles are the registered tensors
  EXPECT_TRUE(net->named_parameters()["fc1.weight"].is_same(net->fc1->weight));
}

TEST(Module, RegistrationErrors) {
  Net net;
  EXPECT_THAT(error_of([&] { net->register_parameter("scale", tg::ones({1})); }), HasSubstr("already registered"));
  EXPECT_THAT(error_of([&] { net->register_buffer("a.b", tg::ones({1})); }), HasSubstr("must not contain a dot"));
  EXPECT_THAT(error_of([&] { net->register_module("", nn::Linear(1, 1)); }), HasSubstr("must not be empty"));
  EXPECT_THAT(error_of([&] { net->register_parameter("idx", tg::ones({1}, tg::kInt64)); }),
              HasSubstr("must be floating point"));
  nn::Linear empty{nullptr};
  EXPECT_THAT(error_of([&] { empty->forward(tg::ones({1, 1})); }), HasSubstr("empty ModuleHolder"));
}

TEST(Module, TrainEvalPropagatesAndChangesBehaviour) {
  Net net;
  EXPECT_TRUE(net->is_training());
  net->eval();
  EXPECT_FALSE(net->is_training());
  EXPECT_FALSE(net->bn->is_training());
  net->train();
  EXPECT_TRUE(net->fc1->is_training());

  nn::Dropout drop(0.5);
  Tensor x = tg::ones({1000});
  tg::manual_seed(3);
  Tensor y = drop(x);
  // kept entries are scaled by 1 / (1 - p), dropped ones are 0; about half of each
  const double kept = (y == 2.0).sum().item_double(), dropped = (y == 0.0).sum().item_double();
  EXPECT_EQ(kept + dropped, 1000);
  EXPECT_NEAR(kept, 500, 60);
  drop->eval();
  EXPECT_TRUE(drop(x).equal(x));
}

TEST(Module, ZeroGradSetsToNoneByDefaultOrZeroes) {
  Net net;
  net->forward(tg::randn({5, 4})).sum().backward();
  ASSERT_TRUE(net->fc1->weight.grad().defined());
  net->zero_grad(false);
  ASSERT_TRUE(net->fc1->weight.grad().defined());
  EXPECT_EQ(net->fc1->weight.grad().abs().sum().item_double(), 0.0);
  net->zero_grad();
  EXPECT_FALSE(net->fc1->weight.grad().defined());
}

TEST(Module, ToDtypeKeepsTensorIdentity) {
  Net net;
  Tensor w = net->fc1->weight;  // what an optimizer would hold
  Tensor before = w.detach().to(tg::kFloat64);
  net->to(tg::kFloat64);
  EXPECT_EQ(w.dtype(), tg::kFloat64);
  EXPECT_EQ(net->bn->running_var.dtype(), tg::kFloat64);
  EXPECT_EQ(net->bn->num_batches_tracked.dtype(), tg::kInt64);  // integer buffers stay
  EXPECT_TRUE(w.requires_grad());
  EXPECT_TRUE(w.is_leaf());
  EXPECT_TRUE(w.equal(before));
  Tensor out = net->forward(tg::randn({3, 4}, tg::kFloat64));
  EXPECT_EQ(out.dtype(), tg::kFloat64);
  out.sum().backward();
  EXPECT_TRUE(w.grad().defined());
}

TEST(Module, ForwardHooksRunThroughHolderAndBuiltins) {
  nn::Linear fc(2, 2);
  {
    tg::NoGradGuard g;
    fc->weight.copy_(tg::eye(2));
    fc->bias.zero_();
  }
  int pre_calls = 0, post_calls = 0;
  auto pre = fc->register_forward_pre_hook([&](nn::Module& m, const Tensor& x) {
    ++pre_calls;
    EXPECT_EQ(m.name(), "Linear");
    return x * 2.0;  // replaces the input
  });
  fc->register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor& out) {
    ++post_calls;
    EXPECT_TRUE(in.allclose(out));  // identity layer: the hook sees the replaced input
    return out + 1.0;
  });
  Tensor x = tg::tensor({{1.0, -1.0}});
  EXPECT_TRUE(fc->forward(x).allclose(tg::tensor({{3.0, -1.0}})));
  EXPECT_TRUE(fc(x).allclose(tg::tensor({{3.0, -1.0}})));  // not run twice through the holder
  EXPECT_EQ(pre_calls, 2);
  EXPECT_EQ(post_calls, 2);
  fc->remove_hook(pre);
  EXPECT_TRUE(fc(x).allclose(tg::tensor({{2.0, 0.0}})));
  EXPECT_THAT(error_of([&] { fc->remove_hook(pre); }), HasSubstr("no hook with handle"));

  // user modules: hooks run when called through the holder (net(x)), as PyTorch's __call__
  Net net;
  int user_calls = 0;
  net->register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) {
    ++user_calls;
    return Tensor();
  });
  net(tg::randn({3, 4}));
  EXPECT_EQ(user_calls, 1);
  // and inside Sequential
  nn::Sequential seq(nn::Linear(4, 4), net);
  seq->forward(tg::randn({3, 4}));
  EXPECT_EQ(user_calls, 2);
}

TEST(Module, PrintsTheTreeLikeLibtorch) {
  nn::Sequential seq(nn::Linear(4, 3), nn::ReLU(), nn::Conv2d(nn::Conv2dOptions(1, 2, 3).padding(1)));
  std::ostringstream out;
  out << *seq;
  EXPECT_EQ(out.str(),
            "Sequential(\n"
            "  (0): tg::nn::Linear(in_features=4, out_features=3, bias=true)\n"
            "  (1): tg::nn::ReLU()\n"
            "  (2): tg::nn::Conv2d(1, 2, kernel_size=[3, 3], stride=[1, 1], padding=[1, 1])\n"
            ")");
  Net net;
  std::ostringstream user;
  user << net;
  EXPECT_THAT(user.str(), HasSubstr("NetImpl(\n  (fc1): tg::nn::Linear(in_features=4, out_features=3, bias=true)"));
}

TEST(Module, LoadStateDictCopiesOrListsEveryProblemAndChangesNothing) {
  Net a, b;
  b->load_state_dict(a->state_dict());
  for (const auto& item : a->state_dict()) EXPECT_TRUE(item.value().equal(b->state_dict()[item.key()])) << item.key();

  Net c;
  Tensor before = c->fc1->weight.detach().clone();
  auto state = a->state_dict();
  state.pop("fc2.weight");
  state.insert("fc3.weight", tg::zeros({2, 3}));
  state["fc1.bias"] = tg::zeros({5});
  state["fc1.weight"] = tg::full({3, 4}, 7.0);  // fine on its own, but must not be applied
  const std::string msg = error_of([&] { c->load_state_dict(state); });
  EXPECT_THAT(msg, HasSubstr("missing keys: fc2.weight"));
  EXPECT_THAT(msg, HasSubstr("unexpected keys: fc3.weight"));
  EXPECT_THAT(msg, HasSubstr("fc1.bias: shape [5] in the state dict, [3] in the module"));
  EXPECT_TRUE(c->fc1->weight.equal(before));
  // non-strict ignores missing/unexpected but never shapes
  state["fc1.bias"] = tg::zeros({3});
  c->load_state_dict(state, /*strict=*/false);
  EXPECT_TRUE(c->fc1->weight.equal(tg::full({3, 4}, 7.0)));
}

TEST(ModuleErrors, NameTheModule) {
  struct MlpImpl : nn::Module {
    MlpImpl() { fc1 = register_module("fc1", nn::Linear(784, 256)); }
    Tensor forward(const Tensor& x) { return fc1->forward(x); }
    nn::Linear fc1{nullptr};
  };
  auto mlp = std::make_shared<MlpImpl>();
  EXPECT_EQ(error_of([&] {
              mlp->forward(tg::zeros({2, 100}));
            }),
            "fc1 (Linear 784 -> 256): input has 100 features (shape [2, 100]), expected 784");
  nn::Conv2d conv(nn::Conv2dOptions(3, 8, 3));
  EXPECT_EQ(error_of([&] {
              conv(tg::zeros({1, 1, 5, 5}));
            }),
            "Conv2d 3 -> 8, kernel [3, 3]: input has 1 channels (shape [1, 1, 5, 5]), expected 3");
  nn::BatchNorm2d bn(4);
  EXPECT_THAT(error_of([&] {
                bn(tg::zeros({2, 4, 3}));
              }),
              HasSubstr("BatchNorm2d 4: expected a 4-D input, got shape [2, 4, 3]"));
  EXPECT_EQ(error_of([&] {
              F::cross_entropy(tg::zeros({2, 10}), tg::tensor({3, 12}));
            }),
            "cross_entropy: target 12 at position 1 is out of bounds for 10 classes");
  EXPECT_THAT(error_of([&] {
                F::cross_entropy(tg::zeros({2, 10}), tg::tensor({3, 1, 2}));
              }),
              HasSubstr("target [3] does not match input [2, 10]"));
  EXPECT_THAT(error_of([&] {
                F::mse_loss(tg::zeros({2, 3}), tg::zeros({3, 2}));
              }),
              HasSubstr("mse_loss: input [2, 3] and target [3, 2] must have the same shape"));
  EXPECT_THAT(error_of([&] { F::binary_cross_entropy(tg::full({2}, 1.5), tg::zeros({2})); }),
              HasSubstr("input value 1.5 at position 0 is not between 0 and 1"));
  nn::Sequential seq(nn::Linear(4, 3), nn::Linear(5, 2));
  EXPECT_THAT(error_of([&] { seq->forward(tg::zeros({1, 4})); }), HasSubstr("1 (Linear 5 -> 2): input has 3 features"));
  EXPECT_THAT(error_of([&] { nn::Conv2d(nn::Conv2dOptions(3, 8, 3).groups(2)); }), HasSubstr("divisible by groups 2"));
  EXPECT_THAT(error_of([&] { tg::conv2d(tg::zeros({1, 2, 2, 2}), tg::zeros({1, 2, 3, 3})); }), HasSubstr("too small"));
  EXPECT_THAT(error_of([&] { tg::max_pool2d(tg::zeros({1, 1, 4, 4}), 2, 2, 2); }), HasSubstr("at most half"));
}

// ---------------------------------------------------------------- layers against naive loops
namespace {
// out[n, o, y, x] = b[o] + sum_{c in group, i, j} x[n, c, y*s - p + i*d, x*s - p + j*d] w[o, c', i, j]
Tensor naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t s, int64_t p, int64_t d,
                    int64_t groups) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t O = w.size(0), Cg = w.size(1), kh = w.size(2), kw = w.size(3), Og = O / groups;
  const int64_t OH = (H + 2 * p - d * (kh - 1) - 1) / s + 1, OW = (W + 2 * p - d * (kw - 1) - 1) / s + 1;
  Tensor out = tg::zeros({N, O, OH, OW}, tg::kFloat64);
  Tensor xc = x.contiguous(), wc = w.contiguous();
  const double *px = xc.data_ptr<double>(), *pw = wc.data_ptr<double>();
  double* po = out.data_ptr<double>();
  (void)C;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t ox = 0; ox < OW; ++ox) {
          double acc = b.defined() ? b[o].item<double>() : 0.0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t iy = oy * s - p + i * d, ix = ox * s - p + j * d;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                const int64_t ci = (o / Og) * Cg + c;
                acc += px[((n * x.size(1) + ci) * H + iy) * W + ix] * pw[((o * Cg + c) * kh + i) * kw + j];
              }
          po[((n * O + o) * OH + oy) * OW + ox] = acc;
        }
  return out;
}
}  // namespace

TEST(Layers, Conv2dMatchesNaiveLoopsForStridePaddingDilationGroups) {
  tg::manual_seed(1);
  struct Case {
    int64_t C, O, k, s, p, d, g;
  };
  for (Case c : {Case{3, 4, 3, 1, 0, 1, 1}, Case{3, 4, 3, 2, 1, 1, 1}, Case{2, 2, 3, 1, 2, 2, 1},
                 Case{4, 6, 3, 1, 1, 1, 2}, Case{4, 4, 1, 1, 0, 1, 4}}) {
    Tensor x = tg::randn({2, c.C, 7, 6}, tg::kFloat64);
    Tensor w = tg::randn({c.O, c.C / c.g, c.k, c.k}, tg::kFloat64);
    Tensor b = tg::randn({c.O}, tg::kFloat64);
    Tensor got = tg::conv2d(x, w, b, c.s, c.p, c.d, c.g);
    Tensor want = naive_conv2d(x, w, b, c.s, c.p, c.d, c.g);
    ASSERT_EQ(got.sizes().vec(), want.sizes().vec());
    EXPECT_LT(max_abs_diff(got, want), 1e-12)
        << "C" << c.C << " O" << c.O << " k" << c.k << " s" << c.s << " p" << c.p << " d" << c.d << " g" << c.g;
  }
}

TEST(Layers, ConvTranspose2dIsTheAdjointOfConv2d) {
  // <conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for the same weight: the defining property
  tg::manual_seed(2);
  for (int64_t groups : {1, 2}) {
    Tensor x = tg::randn({2, 4, 7, 7}, tg::kFloat64), w = tg::randn({6, 4 / groups, 3, 3}, tg::kFloat64);
    Tensor cx = tg::conv2d(x, w, {}, 2, 1, 1, groups);
    Tensor y = tg::randn(cx.sizes(), tg::kFloat64);
    Tensor ty = tg::conv_transpose2d(y, w, {}, 2, 1, 0, groups);
    ASSERT_EQ(ty.sizes().vec(), x.sizes().vec());
    EXPECT_NEAR((cx * y).sum().item_double(), (x * ty).sum().item_double(), 1e-10);
  }
  // output_padding adds rows/columns at the end
  Tensor z = tg::conv_transpose2d(tg::randn({1, 2, 3, 3}), tg::randn({2, 5, 3, 3}), tg::randn({5}), 2, 1, 1);
  EXPECT_EQ(z.sizes().vec(), (std::vector<int64_t>{1, 5, 6, 6}));
}

TEST(Layers, PoolingMatchesNaiveLoops) {
  tg::manual_seed(3);
  Tensor x = tg::randn({2, 3, 7, 6}, tg::kFloat64);
  auto [out, idx] = tg::max_pool2d_with_indices(x, 3, 2, 1);
  ASSERT_EQ(out.sizes().vec(), (std::vector<int64_t>{2, 3, 4, 3}));
  Tensor avg = tg::avg_pool2d(x, 3, 2, 1, false, /*count_include_pad=*/false);
  Tensor avg_incl = tg::avg_pool2d(x, 3, 2, 1);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 3; ++c)
      for (int64_t oy = 0; oy < 4; ++oy)
        for (int64_t ox = 0; ox < 3; ++ox) {
          double best = -INFINITY, sum = 0;
          int64_t best_i = -1, count = 0;
          for (int64_t i = 0; i < 3; ++i)
            for (int64_t j = 0; j < 3; ++j) {
              const int64_t iy = oy * 2 - 1 + i, ix = ox * 2 - 1 + j;
              if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6) continue;
              const double v = x.index({n, c, iy, ix}).item<double>();
              sum += v;
              ++count;
              if (v > best) best = v, best_i = iy * 6 + ix;
            }
          EXPECT_EQ(out.index({n, c, oy, ox}).item<double>(), best);
          EXPECT_EQ(idx.index({n, c, oy, ox}).item<int64_t>(), best_i);
          EXPECT_NEAR(avg.index({n, c, oy, ox}).item<double>(), sum / count, 1e-14);
          EXPECT_NEAR(avg_incl.index({n, c, oy, ox}).item<double>(), sum / 9, 1e-14);
        }
  // adaptive pooling with uneven bins: 7 -> 3 uses rows [0,3), [2,5), [4,7)
  Tensor a = tg::adaptive_avg_pool2d(x, {3, 2});
  EXPECT_NEAR(a.index({1, 2, 1, 0}).item<double>(),
              x.index({1, 2, tg::indexing::Slice(2, 5), tg::indexing::Slice(0, 3)}).mean().item_double(), 1e-14);
  // the gradient of max pooling lands on the argmax only
  Tensor leaf = x.detach().requires_grad_();
  tg::max_pool2d(leaf, 2).sum().backward();
  EXPECT_EQ(leaf.grad().sum().item_double(), 2 * 3 * 3 * 3);
}

TEST(Layers, BatchNormTracksRunningStatsLikePyTorch) {
  nn::BatchNorm1d bn(nn::BatchNormOptions(2).momentum(0.1));
  Tensor x = tg::tensor({{1.0, 10.0}, {3.0, 20.0}, {5.0, 60.0}});
  Tensor y = bn(x);
  // batch statistics normalise; running stats move 10% towards mean and *unbiased* variance
  EXPECT_TRUE(y.mean({0}).abs().max().item_double() < 1e-6);
  EXPECT_TRUE(bn->running_mean.allclose(tg::tensor({0.3, 3.0})));
  EXPECT_TRUE(bn->running_var.allclose(tg::tensor({0.9 + 0.1 * 4.0, 0.9 + 0.1 * 700.0})));
  EXPECT_EQ(bn->num_batches_tracked.item<int64_t>(), 1);
  bn->eval();
  Tensor z = bn(x);
  Tensor expected = (x - bn->running_mean) / (bn->running_var + 1e-5).sqrt();
  EXPECT_TRUE(z.allclose(expected, 1e-5, 1e-6));
  // momentum None: a cumulative average of the batch statistics
  nn::BatchNorm1d cumulative(nn::BatchNormOptions(1).momentum(std::nullopt));
  cumulative(tg::tensor({{1.0}, {3.0}}));
  cumulative(tg::tensor({{5.0}, {7.0}}));
  EXPECT_NEAR(cumulative->running_mean.item<float>(), (2.0 + 6.0) / 2, 1e-6);
}

TEST(Layers, EmbeddingPaddingIdxGetsNoGradient) {
  nn::Embedding emb(nn::EmbeddingOptions(5, 3).padding_idx(1));
  EXPECT_EQ(emb->weight[1].abs().sum().item_double(), 0.0);
  Tensor idx = tg::tensor({{0, 1}, {1, 4}});
  Tensor out = emb(idx);
  EXPECT_EQ(out.sizes().vec(), (std::vector<int64_t>{2, 2, 3}));
  EXPECT_TRUE(out[1][1].equal(emb->weight[4]));
  out.sum().backward();
  EXPECT_EQ(emb->weight.grad()[1].abs().sum().item_double(), 0.0);
  EXPECT_TRUE(emb->weight.grad()[0].equal(tg::ones({3})));
  EXPECT_THAT(error_of([&] { emb(tg::tensor({5})); }),
              HasSubstr("index 5 at position 0 is out of range for 5 embeddings"));
}

// PyTorch 1.13: F.hardtanh([-2, -0.5, 0.3, 0.8, 2], -0.5, 0.8) = [-0.5, -0.5, 0.3, 0.8, 0.8] and
// the gradient of its sum is [0, 0, 1, 0, 0]: zero AT the bounds too (hardtanh_backward's strict
// mask), where clamp passes it. gradcheck cannot see this: it never evaluates at a kink.
TEST(Layers, HardtanhMatchesPyTorchAtItsBounds) {
  Tensor x = tg::tensor({-2.0, -0.5, 0.3, 0.8, 2.0}, tg::kFloat64).requires_grad_();
  nn::Hardtanh hardtanh(nn::HardtanhOptions().min_val(-0.5).max_val(0.8));
  Tensor y = hardtanh(x);
  EXPECT_TRUE(y.equal(tg::tensor({-0.5, -0.5, 0.3, 0.8, 0.8}, tg::kFloat64)));
  EXPECT_EQ(y.grad_fn()->backward_name(), "HardtanhBackward0");
  y.sum().backward();
  EXPECT_TRUE(x.grad().equal(tg::tensor({0.0, 0.0, 1.0, 0.0, 0.0}, tg::kFloat64)));
  Tensor clamp_grad = tg::autograd::grad({x.clamp(-0.5, 0.8).sum()}, {x})[0];
  EXPECT_TRUE(clamp_grad.equal(tg::tensor({0.0, 1.0, 1.0, 1.0, 0.0}, tg::kFloat64)));
  std::ostringstream printed;
  printed << *hardtanh;
  EXPECT_EQ(printed.str(), "tg::nn::Hardtanh(min_val=-0.5, max_val=0.8)");
  // the default range is [-1, 1]; inplace writes into the input
  Tensor z = tg::tensor({-3.0, 0.25, 3.0});
  Tensor same = F::hardtanh(z, F::HardtanhFuncOptions().inplace(true));
  EXPECT_TRUE(same.is_same(z));
  EXPECT_TRUE(z.equal(tg::tensor({-1.0, 0.25, 1.0})));
}

TEST(Layers, InplaceActivationsWriteIntoTheirInput) {
  Tensor a = tg::tensor({-2.0, 3.0});
  EXPECT_TRUE(F::leaky_relu(a, F::LeakyReLUFuncOptions().negative_slope(0.5).inplace(true)).is_same(a));
  EXPECT_TRUE(a.equal(tg::tensor({-1.0, 3.0})));
  Tensor b = tg::tensor({-1.0, 3.0}, tg::kFloat64);
  EXPECT_TRUE(F::elu(b, F::ELUFuncOptions().inplace(true)).is_same(b));
  EXPECT_DOUBLE_EQ(b[0].item<double>(), std::exp(-1.0) - 1.0);
  EXPECT_DOUBLE_EQ(b[1].item<double>(), 3.0);
  // through a recorded in-place copy, the gradient is still the activation's
  Tensor x = tg::tensor({-2.0, 3.0}, tg::kFloat64).requires_grad_();
  Tensor h = x * 1.0;
  F::leaky_relu(h, F::LeakyReLUFuncOptions().negative_slope(0.5).inplace(true)).sum().backward();
  EXPECT_TRUE(x.grad().equal(tg::tensor({0.5, 1.0}, tg::kFloat64)));
  // out of place by default
  Tensor c = tg::tensor({-2.0});
  F::leaky_relu(c);
  EXPECT_EQ(c.item<double>(), -2.0);
}

TEST(Layers, ContainersHoldAndChain) {
  nn::Sequential seq({{"fc", nn::Linear(3, 2)}, {"act", nn::Tanh()}});
  EXPECT_EQ(seq->named_parameters().keys(), (std::vector<std::string>{"fc.weight", "fc.bias"}));
  Tensor x = tg::randn({4, 3});
  EXPECT_TRUE(seq->forward(x).allclose(seq->at<nn::LinearImpl>(0).forward(x).tanh()));
  seq->push_back(nn::Functional([](Tensor t) { return t * 2.0; }));
  EXPECT_EQ(seq->size(), 3u);
  nn::ModuleList list(nn::Linear(2, 2), nn::ReLU());
  list->push_back(nn::Linear(2, 1));
  EXPECT_EQ(list->size(), 3u);
  EXPECT_EQ(list->named_parameters().keys(), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(list->ptr<nn::LinearImpl>(2)->options.out_features(), 1);
  nn::ModuleDict dict(std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>>{
      {"enc", nn::Linear(2, 3).ptr()}, {"dec", nn::Linear(3, 2).ptr()}});
  EXPECT_TRUE(dict->contains("enc"));
  EXPECT_EQ(dict->at<nn::LinearImpl>("dec").options.in_features(), 3);
  EXPECT_THAT(error_of([&] { (*dict)["nope"]; }), HasSubstr("no module named \"nope\""));
}

// ---------------------------------------------------------------- initialisation
TEST(Init, LayerDefaultsFollowLibtorch) {
  tg::manual_seed(4);
  nn::Linear fc(400, 300);
  const double bound = 1.0 / std::sqrt(400.0);
  EXPECT_LE(fc->weight.abs().max().item_double(), bound);
  EXPECT_LE(fc->bias.abs().max().item_double(), bound);
  // U(-b, b) has std b / sqrt(3)
  EXPECT_NEAR(fc->weight.std().item_double(), bound / std::sqrt(3.0), 0.01 * bound);
  nn::Conv2d conv(nn::Conv2dOptions(16, 32, 3));
  const double cbound = 1.0 / std::sqrt(16.0 * 9);
  EXPECT_LE(conv->weight.abs().max().item_double(), cbound);
  EXPECT_NEAR(conv->weight.std().item_double(), cbound / std::sqrt(3.0), 0.03 * cbound);
}

TEST(Init, FormulasAndOrthogonality) {
  tg::manual_seed(5);
  Tensor w = tg::empty({300, 200});
  nn::init::xavier_uniform_(w);
  EXPECT_LE(w.abs().max().item_double(), std::sqrt(6.0 / 500));
  nn::init::kaiming_normal_(w, 0, nn::init::kFanIn, nn::init::Nonlinearity::ReLU);
  EXPECT_NEAR(w.std().item_double(), std::sqrt(2.0 / 200), 0.02 * std::sqrt(2.0 / 200));
  nn::init::xavier_normal_(w, 2.0);
  EXPECT_NEAR(w.std().item_double(), 2.0 * std::sqrt(2.0 / 500), 0.02 * 2.0 * std::sqrt(2.0 / 500));
  for (auto shape : {std::vector<int64_t>{6, 4}, std::vector<int64_t>{3, 8}}) {
    Tensor q = tg::empty(shape, tg::kFloat64);
    nn::init::orthogonal_(q);
    Tensor gram = shape[0] >= shape[1] ? q.t().mm(q) : q.mm(q.t());
    EXPECT_LT(max_abs_diff(gram, tg::eye(gram.size(0), tg::kFloat64)), 1e-12);
  }
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain(nn::init::Nonlinearity::LeakyReLU, std::sqrt(5.0)), std::sqrt(2.0 / 6.0));
  EXPECT_THAT(error_of([&] { nn::init::xavier_uniform_(tg::empty({3})); }), HasSubstr("fewer than 2 dimensions"));
}

// ---------------------------------------------------------------- utils
TEST(Utils, ClipGradNormAndValue) {
  Tensor a = tg::zeros({2}).requires_grad_(), b = tg::zeros({1}).requires_grad_();
  (a * tg::tensor({3.0f, 0.0f})).sum().backward();
  (b * tg::tensor({4.0f})).sum().backward();
  const double norm = nn::utils::clip_grad_norm_({a, b}, 1.0);
  EXPECT_DOUBLE_EQ(norm, 5.0);
  EXPECT_NEAR(a.grad()[0].item<float>(), 3.0 / (5.0 + 1e-6), 1e-6);
  EXPECT_NEAR(b.grad()[0].item<float>(), 4.0 / (5.0 + 1e-6), 1e-6);
  nn::utils::clip_grad_value_({a, b}, 0.7);
  EXPECT_NEAR(b.grad()[0].item<float>(), 0.7, 1e-7);
  EXPECT_NEAR(a.grad()[0].item<float>(), 0.6, 1e-6);
  Tensor v = nn::utils::parameters_to_vector({a, b});
  EXPECT_EQ(v.numel(), 3);
  nn::utils::vector_to_parameters(tg::tensor({1.0f, 2.0f, 3.0f}), {a, b});
  EXPECT_EQ(b.item<float>(), 3.0f);
}
