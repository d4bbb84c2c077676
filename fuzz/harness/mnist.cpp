// datasets::MNIST on an arbitrary pair of files. Bytes 0-3 (big-endian) split the rest into the
// images file and the labels file; byte 4 picks train/test and gzip for each. Every example a
// loaded data set reports must be readable.
#include <filesystem>

#include "../fuzz_util.h"

namespace {
std::filesystem::path folder() {
  static const std::filesystem::path path = [] {
    char pattern[] = "/tmp/tg_fuzz_mnist_XXXXXX";
    if (!::mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    return std::filesystem::path(pattern);
  }();
  return path;
}

void write(const std::filesystem::path& path, const std::string& content) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path.string());
  std::fwrite(content.data(), 1, content.size(), f);
  std::fclose(f);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  tg_fuzz::Bytes bytes(data, size);
  const uint32_t split = bytes.u32();
  const uint8_t mode = bytes.u8();
  const std::string rest = bytes.rest();
  const std::size_t cut = std::min<std::size_t>(split, rest.size());
  std::string images = rest.substr(0, cut), labels = rest.substr(cut);
  const bool train = mode & 1;
  const std::string prefix = train ? "train" : "t10k";
  const std::filesystem::path dir = folder();
  for (const char* name : {"-images-idx3-ubyte", "-labels-idx1-ubyte"})
    for (const char* suffix : {"", ".gz"}) std::filesystem::remove(dir / (prefix + name + suffix));
  write(dir / (prefix + "-images-idx3-ubyte" + (mode & 2 ? ".gz" : "")), mode & 2 ? tg_fuzz::gzip(images) : images);
  write(dir / (prefix + "-labels-idx1-ubyte" + (mode & 4 ? ".gz" : "")), mode & 4 ? tg_fuzz::gzip(labels) : labels);
  try {
    tg::data::datasets::MNIST mnist(
        dir.string(), train ? tg::data::datasets::MNIST::Mode::kTrain : tg::data::datasets::MNIST::Mode::kTest);
    const std::size_t n = *mnist.size();
    if (n > 0) {
      tg_fuzz::touch(mnist.get(0).data);
      tg_fuzz::touch(mnist.get(n - 1).data);
      tg_fuzz::touch(mnist.get(n - 1).target);
    }
    try {
      mnist.get(n);  // one past the end: must be a tg::Error
      __builtin_trap();
    } catch (const tg::Error&) {
    }
  } catch (const tg::Error&) {
  }
  return 0;
}
