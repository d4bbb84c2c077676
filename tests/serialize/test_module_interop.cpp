// Whole modules across the language boundary: PyTorch's state dicts (tests/fixtures/interop) load
// into the equivalent tg::nn modules with tg::load and give PyTorch's outputs, and tg::save writes
// PyTorch's key names back.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "serialize_test_util.h"

namespace {

namespace nn = tg::nn;
namespace st = tg::safetensors;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kInterop = std::string(TG_FIXTURES) + "/interop/";

// gen_fixtures.py's MLP: fc2(relu(bn(fc1(x)))).
struct MlpImpl : nn::Module {
  MlpImpl() {
    fc1 = register_module("fc1", nn::Linear(4, 8));
    bn = register_module("bn", nn::BatchNorm1d(8));
    fc2 = register_module("fc2", nn::Linear(8, 3));
  }
  tg::Tensor forward(const tg::Tensor& x) { return fc2->forward(tg::relu(bn->forward(fc1->forward(x)))); }
  nn::Linear fc1{nullptr};
  nn::BatchNorm1d bn{nullptr};
  nn::Linear fc2{nullptr};
};
TG_MODULE(Mlp);

TEST(ModuleInterop, PyTorchMlpStateDictLoadsAndReproducesItsOutput) {
  Mlp mlp;
  tg::load(mlp, kInterop + "mlp.safetensors");
  mlp->eval();
  auto io = st::load(kInterop + "mlp_io.safetensors").tensors;
  tg::NoGradGuard no_grad;
  const tg::Tensor y = mlp->forward(io["input"]);
  EXPECT_TRUE(tg::allclose(y, io["output"], 1e-5, 1e-6)) << y << "\nvs PyTorch\n" << io["output"];
  EXPECT_EQ(mlp->bn->named_buffers()["num_batches_tracked"].item<int64_t>(), 3);
}

TEST(ModuleInterop, PyTorchSequentialLoadsIntoSequential) {
  nn::Sequential seq(nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 2));
  seq->to(tg::kFloat64);
  tg::load(seq, kInterop + "sequential.safetensors");
  auto io = st::load(kInterop + "sequential_io.safetensors").tensors;
  tg::NoGradGuard no_grad;
  const tg::Tensor y = seq->forward(io["input"]);
  EXPECT_TRUE(tg::allclose(y, io["output"], 1e-12, 1e-14)) << y << "\nvs PyTorch\n" << io["output"];
}

TEST(ModuleInterop, SaveWritesPyTorchKeyNamesAndLoadRestores) {
  tg_test::TempDir dir;
  const std::string path = dir.file("mlp.safetensors");
  Mlp trained;
  tg::load(trained, kInterop + "mlp.safetensors");
  tg::save(trained, path);
  st::File file = st::load(path);
  EXPECT_EQ(file.tensors.keys(), st::load(kInterop + "mlp.safetensors").tensors.keys());
  Mlp fresh;
  tg::load(fresh, path);
  for (const auto& item : trained->state_dict())
    EXPECT_TRUE(tg_test::identical(fresh->state_dict()[item.key()], item.value())) << item.key();
}

TEST(ModuleInterop, LoadingAFileThatDoesNotFitTheModuleNamesTheFile) {
  nn::Sequential seq(nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 2));
  const std::string path = kInterop + "mlp.safetensors";
  EXPECT_THAT(tg_test::error_of([&] { tg::load(seq, path); }), HasSubstr(path));
}

}  // namespace
