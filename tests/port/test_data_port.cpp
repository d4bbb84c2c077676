// The libtorch data program of port_data_program.h, compiled against tapegrad with
// `namespace torch = tg;`, must give the numbers libtorch 1.13 gave for it.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <tapegrad/tapegrad.h>

// libtorch's custom datasets return torch::optional<size_t> from size(); tapegrad's core does not
// (yet) spell std::optional as tg::optional, so a port needs this one line.
namespace tg {
using std::optional;
}  // namespace tg

namespace torch = tg;
#include "port_data_program.h"

namespace {

TEST(Port, LibtorchDataProgramGivesLibtorchsNumbers) {
  const std::string root = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(root + "/t10k-images-idx3-ubyte.gz")) GTEST_SKIP() << "no Fashion-MNIST";
  std::map<std::string, double> got;
  port_data_program(root, [&](const char* name, double value) { got[name] = value; });
  // printed by the libtorch build of the same program
  const std::map<std::string, double> libtorch = {{"mnist.size", 10000},
                                                  {"mnist.batch0.mean", 0.012144055217504501},
                                                  {"mnist.batch0.pixel", -0.81019836664199829},
                                                  {"mnist.batch0.dim1", 1},
                                                  {"mnist.batches", 10},
                                                  {"mnist.target_sum", 45000},
                                                  {"custom.checksum", 54},
                                                  {"custom.batches", 4},
                                                  {"custom.last_size", 1},
                                                  {"random.id_sum", 45},
                                                  {"tensor.first_rows", 18}};
  ASSERT_EQ(got.size(), libtorch.size());
  for (const auto& [name, value] : libtorch) {
    ASSERT_TRUE(got.count(name)) << name;
    // the batch mean is a float32 reduction: summation order may differ from libtorch's
    const double tolerance = name == "mnist.batch0.mean" ? 1e-6 : 1e-7 * std::max(1.0, std::abs(value));
    EXPECT_NEAR(got[name], value, tolerance) << name;
  }
}

}  // namespace
