// save() is atomic: it writes a temporary file beside the target and renames it, so a failed save
// leaves the previous file as it was and never leaves a temporary file behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "serialize_test_util.h"

namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tg_test::error_of;
using tg_test::TempDir;
namespace st = tg::safetensors;

tg::OrderedDict<std::string, tg::Tensor> one(const std::string& name, const tg::Tensor& t) {
  tg::OrderedDict<std::string, tg::Tensor> d("Tensor");
  d.insert(name, t);
  return d;
}

TEST(SafetensorsAtomicSave, SuccessfulSaveLeavesOnlyTheTarget) {
  TempDir dir;
  st::save(dir.file("model.safetensors"), one("w", tg::ones({4})));
  st::save(dir.file("model.safetensors"), one("w", tg::zeros({4})));
  EXPECT_THAT(dir.entries(), ElementsAre("model.safetensors"));
}

TEST(SafetensorsAtomicSave, MissingDirectoryThrowsNamingThePath) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/model.safetensors");
  EXPECT_THAT(error_of([&] { st::save(path, one("w", tg::ones({2}))); }),
              AllOf(HasSubstr("safetensors::save"), HasSubstr(path), HasSubstr("No such file or directory")));
  EXPECT_THAT(dir.entries(), ::testing::IsEmpty());
}

TEST(SafetensorsAtomicSave, FailedSaveLeavesTheExistingFileIntact) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  st::save(path, one("w", tg::arange(10, tg::kFloat64)));
  const std::string before = tg_test::read_bytes(path);

  tg::OrderedDict<std::string, tg::Tensor> bad("Tensor");
  bad.insert("w", tg::zeros({1000}));
  bad.insert("broken", tg::Tensor());  // undefined: found before anything is written
  EXPECT_THROW(st::save(path, bad), tg::Error);
  EXPECT_EQ(tg_test::read_bytes(path), before);
  EXPECT_THAT(dir.entries(), ElementsAre("model.safetensors"));
}

TEST(SafetensorsAtomicSave, FailedRenameRemovesTheTemporaryFile) {
  // The target is a non-empty directory: everything is written, then rename() fails.
  TempDir dir;
  const std::string path = dir.file("taken");
  std::filesystem::create_directory(path);
  tg_test::write_bytes(dir.file("taken/keep"), "keep me");
  EXPECT_THAT(error_of([&] { st::save(path, one("w", tg::ones({3}))); }), AllOf(HasSubstr(path), HasSubstr("rename")));
  EXPECT_THAT(dir.entries(), ElementsAre("taken"));
  EXPECT_EQ(tg_test::read_bytes(dir.file("taken/keep")), "keep me");
}

TEST(SafetensorsAtomicSave, ConcurrentSavesToOnePathEachWriteAWholeFile) {
  TempDir dir;
  const std::string path = dir.file("shared.safetensors");
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) st::save(path, one("w" + std::to_string(w), tg::full({64 * (w + 1)}, w)));
    });
  }
  for (auto& t : writers) t.join();
  st::File file = st::load(path);  // whichever won, it is complete
  ASSERT_EQ(file.tensors.size(), 1u);
  const std::string name = file.tensors.keys()[0];
  const int w = name.back() - '0';
  EXPECT_EQ(file.tensors[name].numel(), 64 * (w + 1));
  EXPECT_EQ(file.tensors[name].sum().item<float>(), 64.0f * (w + 1) * w);
  EXPECT_THAT(dir.entries(), ElementsAre("shared.safetensors"));
}

TEST(SafetensorsAtomicSave, RelativePathInTheCurrentDirectory) {
  TempDir dir;
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  st::save("relative.safetensors", one("w", tg::ones({2})));
  EXPECT_EQ(st::load("relative.safetensors").tensors["w"].numel(), 2);
  std::filesystem::current_path(previous);
  EXPECT_THAT(dir.entries(), ElementsAre("relative.safetensors"));
}

}  // namespace
