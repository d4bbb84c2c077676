// Files written by PyTorch (tests/fixtures/gen_fixtures.py, gen_nn_fixtures.py) load with exactly
// PyTorch's names, dtypes, shapes and bits, and their numbers mean what PyTorch meant (the MLP
// and Sequential state dicts reproduce PyTorch's outputs; the activation fixtures match tg's ops).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "serialize_test_util.h"

namespace {

namespace st = tg::safetensors;
using ::testing::ElementsAre;

const std::string kFixtures = TG_FIXTURES;

// ---------------------------------------------------------------- interop/expected.txt

struct ExpectedTensor {
  std::string file, name, dtype;
  std::vector<int64_t> shape;
  std::vector<std::string> values;  // hex floats, decimal integers, 0/1 for bools
};

std::vector<ExpectedTensor> read_expected() {
  std::ifstream in(kFixtures + "/interop/expected.txt");
  EXPECT_TRUE(in.good()) << "missing " << kFixtures << "/interop/expected.txt";
  std::vector<ExpectedTensor> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    ExpectedTensor e;
    std::string shape;
    words >> e.file >> e.name >> e.dtype >> shape;
    if (shape != "-") {
      std::istringstream dims(shape);
      for (std::string d; std::getline(dims, d, ',');) e.shape.push_back(std::stoll(d));
    }
    for (std::string v; words >> v;) e.values.push_back(v);
    out.push_back(std::move(e));
  }
  return out;
}

const char* file_dtype(tg::ScalarType dtype) {
  switch (dtype) {
    case tg::kFloat32: return "F32";
    case tg::kFloat64: return "F64";
    case tg::kInt64: return "I64";
    case tg::kBool: return "BOOL";
  }
  return "?";
}

// The tensor PyTorch's values describe, built bit-exactly in `dtype`.
tg::Tensor expected_tensor(const ExpectedTensor& e) {
  if (e.dtype == "F32") {
    std::vector<float> v;
    for (const auto& s : e.values) v.push_back(static_cast<float>(std::strtod(s.c_str(), nullptr)));
    return tg_test::make_tensor<float>(e.shape, v);
  }
  if (e.dtype == "F64") {
    std::vector<double> v;
    for (const auto& s : e.values) v.push_back(std::strtod(s.c_str(), nullptr));
    return tg_test::make_tensor<double>(e.shape, v);
  }
  if (e.dtype == "I64") {
    std::vector<int64_t> v;
    for (const auto& s : e.values) v.push_back(std::stoll(s));
    return tg_test::make_tensor<int64_t>(e.shape, v);
  }
  std::vector<bool> v;
  for (const auto& s : e.values) v.push_back(s == "1");
  return tg_test::make_tensor<bool>(e.shape, v);
}

TEST(PyTorchFixtures, EveryTensorHasPyTorchsExactValues) {
  const auto expected = read_expected();
  ASSERT_GT(expected.size(), 30u);
  std::map<std::string, st::File> files;
  for (const auto& e : expected) {
    if (!files.count(e.file)) files.emplace(e.file, st::load(kFixtures + "/interop/" + e.file));
    const tg::Tensor* loaded = files.at(e.file).tensors.find(e.name);
    ASSERT_NE(loaded, nullptr) << e.file << ": " << e.name;
    EXPECT_STREQ(file_dtype(loaded->dtype()), e.dtype.c_str()) << e.name;
    EXPECT_TRUE(tg_test::identical(*loaded, expected_tensor(e))) << e.file << ": " << e.name;
  }
  std::size_t total = 0;
  for (const auto& [name, file] : files) total += file.tensors.size();
  EXPECT_EQ(total, expected.size()) << "a file holds tensors expected.txt does not list";
}

TEST(PyTorchFixtures, StateDictKeepsPyTorchsKeyNamesAndOrder) {
  st::File mlp = st::load(kFixtures + "/interop/mlp.safetensors");
  EXPECT_THAT(mlp.tensors.keys(), ElementsAre("fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "bn.running_mean",
                                              "bn.running_var", "bn.num_batches_tracked", "fc2.weight", "fc2.bias"));
  const tg::Tensor& tracked = mlp.tensors["bn.num_batches_tracked"];
  EXPECT_EQ(tracked.dtype(), tg::kInt64);
  EXPECT_EQ(tracked.dim(), 0);
  EXPECT_EQ(tracked.item<int64_t>(), 3);
  EXPECT_EQ(mlp.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));

  st::File seq = st::load(kFixtures + "/interop/sequential.safetensors");
  EXPECT_THAT(seq.tensors.keys(), ElementsAre("0.weight", "0.bias", "2.weight", "2.bias"));
}

TEST(PyTorchFixtures, MlpStateDictReproducesPyTorchsOutput) {
  auto state = st::load(kFixtures + "/interop/mlp.safetensors").tensors;
  auto io = st::load(kFixtures + "/interop/mlp_io.safetensors").tensors;
  tg::NoGradGuard no_grad;
  const tg::Tensor h = tg::matmul(io["input"], state["fc1.weight"].t()) + state["fc1.bias"];
  const tg::Tensor normed =
      (h - state["bn.running_mean"]) / tg::sqrt(state["bn.running_var"] + 1e-5) * state["bn.weight"] + state["bn.bias"];
  const tg::Tensor y = tg::matmul(tg::relu(normed), state["fc2.weight"].t()) + state["fc2.bias"];
  EXPECT_TRUE(tg::allclose(y, io["output"], 1e-5, 1e-6)) << y << "\nvs PyTorch\n" << io["output"];
}

TEST(PyTorchFixtures, SequentialStateDictReproducesPyTorchsOutput) {
  auto state = st::load(kFixtures + "/interop/sequential.safetensors").tensors;
  auto io = st::load(kFixtures + "/interop/sequential_io.safetensors").tensors;
  tg::NoGradGuard no_grad;
  const tg::Tensor h = tg::tanh(tg::matmul(io["input"], state["0.weight"].t()) + state["0.bias"]);
  const tg::Tensor y = tg::matmul(h, state["2.weight"].t()) + state["2.bias"];
  EXPECT_TRUE(tg::allclose(y, io["output"], 1e-12, 1e-14)) << y << "\nvs PyTorch\n" << io["output"];
}

TEST(PyTorchFixtures, UnicodeMetadata) {
  st::File dtypes = st::load(kFixtures + "/interop/dtypes.safetensors");
  EXPECT_EQ(dtypes.metadata.at("\xc3\xbc"
                               "n"
                               "\xc3\xaf"
                               "c"
                               "\xc3\xb6"
                               "d"
                               "\xc3\xa9"),
            "\xe2\x9c\x93");
}

// ---------------------------------------------------------------- nn/ reference fixtures

std::vector<std::filesystem::path> nn_fixture_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures + "/nn"))
    if (entry.path().extension() == ".safetensors") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Every case file is complete and self-consistent: the layout tests/fixtures/nn/README.md
// promises to the nn tests.
TEST(NnFixtures, EveryCaseFileFollowsTheDocumentedLayout) {
  const auto files = nn_fixture_files();
  ASSERT_GE(files.size(), 100u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    st::File f = st::load(path.string());
    const auto& meta = f.metadata;
    ASSERT_TRUE(meta.count("case") && meta.count("kind") && meta.count("options"));
    EXPECT_EQ(meta.at("case"), path.stem().string());
    const std::string kind = meta.at("kind");
    ASSERT_TRUE(kind == "module" || kind == "activation" || kind == "loss") << kind;
    EXPECT_EQ(meta.count(kind == "module" ? "module" : "function"), 1u);
    EXPECT_EQ(meta.at("options").front(), '{');

    auto& t = f.tensors;
    ASSERT_TRUE(t.contains("input") && t.contains("output") && t.contains("probe"));
    EXPECT_TRUE(t["probe"].sizes().equals(t["output"].sizes()));
    if (t.contains("grad_input")) EXPECT_TRUE(t["grad_input"].sizes().equals(t["input"].sizes()));
    if (t.contains("grad_input2")) EXPECT_TRUE(t["grad_input2"].sizes().equals(t["input2"].sizes()));
    if (kind == "loss") EXPECT_TRUE(t.contains("target"));
    for (const auto& item : t) {
      const std::string& name = item.key();
      if (item.value().is_floating_point()) EXPECT_EQ(item.value().dtype(), tg::kFloat64) << name;
      if (name.rfind("grad.", 0) == 0) {
        const tg::Tensor* param = t.find("state." + name.substr(5));
        ASSERT_NE(param, nullptr) << name;
        EXPECT_TRUE(param->sizes().equals(item.value().sizes())) << name;
      }
    }
  }
}

// The activation fixtures, checked against tg's own ops (forward and gradient).
double option(const std::map<std::string, std::string>& meta, const std::string& name) {
  return std::stod(meta.at("option." + name));
}

TEST(NnFixtures, ActivationsMatchTapegrad) {
  int checked = 0;
  for (const auto& path : nn_fixture_files()) {
    st::File f = st::load(path.string());
    if (f.metadata.at("kind") != "activation") continue;
    SCOPED_TRACE(path.filename().string());
    const auto& meta = f.metadata;
    const std::string fn = meta.at("function");
    tg::Tensor x = f.tensors["input"].clone().requires_grad_();
    tg::Tensor y;
    if (fn == "leaky_relu")
      y = tg::leaky_relu(x, option(meta, "negative_slope"));
    else if (fn == "elu")
      y = tg::elu(x, option(meta, "alpha"));
    else if (fn == "gelu")
      y = tg::gelu(x, meta.at("option.approximate") == "\"tanh\"" ? "tanh" : "none");
    else if (fn == "softplus")
      y = tg::softplus(x, option(meta, "beta"), option(meta, "threshold"));
    else if (fn == "softmax")
      y = tg::softmax(x, static_cast<int64_t>(option(meta, "dim")));
    else if (fn == "log_softmax")
      y = tg::log_softmax(x, static_cast<int64_t>(option(meta, "dim")));
    else
      FAIL() << "unknown activation " << fn;
    (y * f.tensors["probe"]).sum().backward();
    EXPECT_TRUE(tg::allclose(y, f.tensors["output"], 1e-10, 1e-12)) << y << "\nvs PyTorch\n" << f.tensors["output"];
    EXPECT_TRUE(tg::allclose(x.grad(), f.tensors["grad_input"], 1e-10, 1e-12)) << x.grad() << "\nvs PyTorch\n"
                                                                               << f.tensors["grad_input"];
    ++checked;
  }
  EXPECT_GE(checked, 14);
}

}  // namespace
