// The C++ half of the ctest serialize.python_reads_tapegrad: tests/fixtures/read_safetensors.py
// runs these two tests (a separate program, tg_interop_tests) with a path in the environment.
#include <gtest/gtest.h>

#include <cstdlib>

#include "interop_values.h"

namespace {

using tg_test::identical;

TEST(PythonInterop, WritesFileForPython) {
  const char* path = std::getenv("TG_INTEROP_OUT");
  ASSERT_NE(path, nullptr) << "run by the ctest serialize.python_reads_tapegrad, which sets the path";
  tg::safetensors::save(path, tg_test::interop_tensors(), tg_test::interop_metadata());
}

TEST(PythonInterop, ReadsFileWrittenByPython) {
  const char* path = std::getenv("TG_INTEROP_IN");
  ASSERT_NE(path, nullptr) << "run by the ctest serialize.python_reads_tapegrad, which sets the path";
  tg::safetensors::File file = tg::safetensors::load(path);
  const auto expected = tg_test::interop_tensors();
  EXPECT_EQ(file.tensors.keys(), expected.keys());  // the data order, which python kept
  for (const auto& item : expected) {
    const tg::Tensor* loaded = file.tensors.find(item.key());
    ASSERT_NE(loaded, nullptr) << item.key();
    EXPECT_TRUE(identical(*loaded, item.value())) << item.key();
  }
  EXPECT_EQ(file.metadata, tg_test::interop_metadata());
}

}  // namespace
