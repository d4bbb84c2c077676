// Every layer, activation and loss against PyTorch 1.13: one parameterised test per fixture file in
// tests/fixtures/nn (generated once by tests/fixtures/gen_nn_fixtures.py and committed). Each file
// holds PyTorch's state dict, inputs, outputs and gradients in float64; the test builds the
// tapegrad module from the options in the file's metadata, loads the state dict, and compares the
// forward result, the input gradients and the parameter gradients (and BatchNorm's running stats).
#include <tapegrad/tapegrad.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nn = tg::nn;
namespace F = tg::nn::functional;
using json = nlohmann::json;
using tg::Tensor;

namespace {

constexpr double kTol = 1e-10;

std::vector<std::string> fixture_cases() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(TG_FIXTURES) + "/nn"))
    if (entry.path().extension() == ".safetensors") out.push_back(entry.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

template <std::size_t D>
tg::ExpandingArray<D> arr(const json& v) {
  if (v.is_array()) return tg::ExpandingArray<D>(v.get<std::vector<int64_t>>());
  return tg::ExpandingArray<D>(v.get<int64_t>());
}

nn::reduction_t reduction(const json& o) {
  const std::string r = o.value("reduction", "mean");
  if (r == "sum") return tg::kSum;
  if (r == "none") return tg::kNone;
  return tg::kMean;
}

// A module built from PyTorch's constructor options, and how to call it.
struct Built {
  std::shared_ptr<nn::Module> module;
  std::function<Tensor(const Tensor&, const Tensor&)> forward;
};

Built build_module(const json& o) {
  const std::string m = o.at("module");
  auto wrap = [](auto holder) {
    auto ptr = holder.ptr();
    return Built{ptr, [ptr](const Tensor& x, const Tensor&) { return ptr->forward(x); }};
  };
  if (m == "Linear") return wrap(nn::Linear(nn::LinearOptions(o["in_features"], o["out_features"]).bias(o["bias"])));
  if (m == "Bilinear") {
    auto ptr =
        nn::Bilinear(nn::BilinearOptions(o["in1_features"], o["in2_features"], o["out_features"]).bias(o["bias"]))
            .ptr();
    return Built{ptr, [ptr](const Tensor& a, const Tensor& b) { return ptr->forward(a, b); }};
  }
  if (m == "Conv1d" || m == "Conv2d") {
    auto padding = [&](auto tag) -> nn::padding_t<decltype(tag)::value> {
      constexpr std::size_t D = decltype(tag)::value;
      if (o["padding"].is_string()) {
        if (o["padding"] == "same") return tg::kSame;
        return tg::kValid;
      }
      return arr<D>(o["padding"]);
    };
    if (m == "Conv1d")
      return wrap(nn::Conv1d(nn::Conv1dOptions(o["in_channels"], o["out_channels"], arr<1>(o["kernel_size"]))
                                 .stride(arr<1>(o["stride"]))
                                 .padding(padding(std::integral_constant<std::size_t, 1>{}))
                                 .dilation(arr<1>(o["dilation"]))
                                 .groups(o["groups"])
                                 .bias(o["bias"])));
    return wrap(nn::Conv2d(nn::Conv2dOptions(o["in_channels"], o["out_channels"], arr<2>(o["kernel_size"]))
                               .stride(arr<2>(o["stride"]))
                               .padding(padding(std::integral_constant<std::size_t, 2>{}))
                               .dilation(arr<2>(o["dilation"]))
                               .groups(o["groups"])
                               .bias(o["bias"])));
  }
  if (m == "ConvTranspose2d")
    return wrap(
        nn::ConvTranspose2d(nn::ConvTranspose2dOptions(o["in_channels"], o["out_channels"], arr<2>(o["kernel_size"]))
                                .stride(arr<2>(o["stride"]))
                                .padding(arr<2>(o["padding"]))
                                .output_padding(arr<2>(o["output_padding"]))
                                .groups(o["groups"])
                                .bias(o["bias"])
                                .dilation(arr<2>(o["dilation"]))));
  if (m == "MaxPool2d") {
    nn::MaxPool2dOptions opts(arr<2>(o["kernel_size"]));
    if (!o["stride"].is_null()) opts.stride(arr<2>(o["stride"]));
    return wrap(
        nn::MaxPool2d(opts.padding(arr<2>(o["padding"])).dilation(arr<2>(o["dilation"])).ceil_mode(o["ceil_mode"])));
  }
  if (m == "AvgPool2d") {
    nn::AvgPool2dOptions opts(arr<2>(o["kernel_size"]));
    if (!o["stride"].is_null()) opts.stride(arr<2>(o["stride"]));
    opts.padding(arr<2>(o["padding"])).ceil_mode(o["ceil_mode"]).count_include_pad(o["count_include_pad"]);
    if (!o["divisor_override"].is_null()) opts.divisor_override(o["divisor_override"].get<int64_t>());
    return wrap(nn::AvgPool2d(opts));
  }
  if (m == "AdaptiveAvgPool2d")
    return wrap(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(arr<2>(o["output_size"]))));
  if (m == "BatchNorm1d" || m == "BatchNorm2d") {
    nn::BatchNormOptions opts(o["num_features"]);
    opts.eps(o["eps"]).affine(o["affine"]).track_running_stats(o["track_running_stats"]);
    if (o["momentum"].is_null())
      opts.momentum(std::nullopt);
    else
      opts.momentum(o["momentum"].get<double>());
    if (m == "BatchNorm1d") return wrap(nn::BatchNorm1d(opts));
    return wrap(nn::BatchNorm2d(opts));
  }
  if (m == "LayerNorm")
    return wrap(nn::LayerNorm(nn::LayerNormOptions(o["normalized_shape"].get<std::vector<int64_t>>())
                                  .eps(o["eps"])
                                  .elementwise_affine(o["elementwise_affine"])));
  if (m == "GroupNorm")
    return wrap(
        nn::GroupNorm(nn::GroupNormOptions(o["num_groups"], o["num_channels"]).eps(o["eps"]).affine(o["affine"])));
  if (m == "Embedding") {
    nn::EmbeddingOptions opts(o["num_embeddings"], o["embedding_dim"]);
    if (!o["padding_idx"].is_null()) opts.padding_idx(o["padding_idx"].get<int64_t>());
    return wrap(nn::Embedding(opts));
  }
  throw tg::Error("no tapegrad module for PyTorch's " + m);
}

Tensor call_function(const json& o, const tg::safetensors::File& f, const Tensor& input) {
  const std::string fn = o.at("function");
  auto maybe = [&](const char* key) { return f.tensors.contains(key) ? f.tensors[key] : Tensor(); };
  const Tensor target = maybe("target");
  if (fn == "leaky_relu") return F::leaky_relu(input, F::LeakyReLUFuncOptions().negative_slope(o["negative_slope"]));
  if (fn == "elu") return F::elu(input, F::ELUFuncOptions().alpha(o["alpha"]));
  if (fn == "gelu") return F::gelu(input, F::GELUFuncOptions().approximate(o["approximate"]));
  if (fn == "softplus") return F::softplus(input, F::SoftplusFuncOptions().beta(o["beta"]).threshold(o["threshold"]));
  if (fn == "softmax") return F::softmax(input, F::SoftmaxFuncOptions(o["dim"]));
  if (fn == "log_softmax") return F::log_softmax(input, F::LogSoftmaxFuncOptions(o["dim"]));
  if (fn == "mse_loss") return F::mse_loss(input, target, F::MSELossFuncOptions().reduction(reduction(o)));
  if (fn == "l1_loss") return F::l1_loss(input, target, F::L1LossFuncOptions().reduction(reduction(o)));
  if (fn == "smooth_l1_loss")
    return F::smooth_l1_loss(input, target, F::SmoothL1LossFuncOptions().reduction(reduction(o)).beta(o["beta"]));
  if (fn == "huber_loss")
    return F::huber_loss(input, target, F::HuberLossFuncOptions().reduction(reduction(o)).delta(o["delta"]));
  if (fn == "cross_entropy")
    return F::cross_entropy(input, target,
                            F::CrossEntropyFuncOptions()
                                .weight(maybe("weight"))
                                .ignore_index(o["ignore_index"])
                                .reduction(reduction(o))
                                .label_smoothing(o["label_smoothing"]));
  if (fn == "nll_loss")
    return F::nll_loss(
        input, target,
        F::NLLLossFuncOptions().weight(maybe("weight")).ignore_index(o["ignore_index"]).reduction(reduction(o)));
  if (fn == "binary_cross_entropy")
    return F::binary_cross_entropy(input, target,
                                   F::BinaryCrossEntropyFuncOptions().weight(maybe("weight")).reduction(reduction(o)));
  if (fn == "binary_cross_entropy_with_logits")
    return F::binary_cross_entropy_with_logits(input, target,
                                               F::BinaryCrossEntropyWithLogitsFuncOptions()
                                                   .weight(maybe("weight"))
                                                   .pos_weight(maybe("pos_weight"))
                                                   .reduction(reduction(o)));
  if (fn == "kl_div") {
    const std::string r = o["reduction"];
    F::KLDivFuncOptions opts;
    opts.log_target(o["log_target"]);
    if (r == "batchmean")
      opts.reduction(tg::kBatchMean);
    else if (r == "sum")
      opts.reduction(tg::kSum);
    else if (r == "none")
      opts.reduction(tg::kNone);
    else
      opts.reduction(tg::kMean);
    return F::kl_div(input, target, opts);
  }
  throw tg::Error("no tapegrad function for PyTorch's " + fn);
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_TRUE(got.defined()) << what << ": tapegrad produced no tensor";
  ASSERT_EQ(got.sizes().vec(), want.sizes().vec()) << what;
  const double diff = (got.to(tg::kFloat64) - want.to(tg::kFloat64)).abs().max().item_double();
  const double scale = std::max(1.0, want.to(tg::kFloat64).abs().max().item_double());
  EXPECT_LE(diff, kTol * scale) << what << ": max |tapegrad - PyTorch| = " << diff;
}

class VsPyTorch : public ::testing::TestWithParam<std::string> {};

TEST_P(VsPyTorch, ForwardAndGradientsMatch) {
  const std::string path = std::string(TG_FIXTURES) + "/nn/" + GetParam() + ".safetensors";
  tg::safetensors::File f = tg::safetensors::load(path);
  const json o = json::parse(f.metadata.at("options"));
  const std::string kind = f.metadata.at("kind");
  Tensor input = f.tensors["input"];
  if (input.is_floating_point()) input = input.detach().clone().requires_grad_();
  Tensor input2;
  if (f.tensors.contains("input2")) input2 = f.tensors["input2"].detach().clone().requires_grad_();

  Built built;
  Tensor output;
  if (kind == "module") {
    built = build_module(o);
    built.module->to(tg::kFloat64);
    tg::OrderedDict<std::string, Tensor> state;
    for (const auto& item : f.tensors)
      if (item.key().rfind("state.", 0) == 0) state.insert(item.key().substr(6), item.value());
    built.module->load_state_dict(state);
    built.module->train(o["training"].get<bool>());
    output = built.forward(input, input2);
  } else {
    output = call_function(o, f, input);
  }
  expect_close(output, f.tensors["output"], "output");
  (output * f.tensors["probe"]).sum().backward();
  if (f.tensors.contains("grad_input")) expect_close(input.grad(), f.tensors["grad_input"], "grad_input");
  if (f.tensors.contains("grad_input2")) expect_close(input2.grad(), f.tensors["grad_input2"], "grad_input2");
  int param_grads = 0;
  if (built.module) {
    for (const auto& item : built.module->named_parameters()) {
      const std::string key = "grad." + item.key();
      ASSERT_TRUE(f.tensors.contains(key)) << "PyTorch has no gradient for " << item.key();
      expect_close(item.value().grad(), f.tensors[key], key);
      ++param_grads;
    }
    auto buffers = built.module->named_buffers();
    if (f.tensors.contains("running_mean_after")) {
      expect_close(buffers["running_mean"], f.tensors["running_mean_after"], "running_mean");
      expect_close(buffers["running_var"], f.tensors["running_var_after"], "running_var");
      EXPECT_TRUE(buffers["num_batches_tracked"].equal(f.tensors["num_batches_tracked_after"]));
    }
  }
  int expected_param_grads = 0;
  for (const auto& item : f.tensors)
    if (item.key().rfind("grad.", 0) == 0) ++expected_param_grads;
  EXPECT_EQ(param_grads, expected_param_grads);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, VsPyTorch, ::testing::ValuesIn(fixture_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(VsPyTorchFixtures, AllCasesArePresent) { EXPECT_GE(fixture_cases().size(), 100u); }

}  // namespace
