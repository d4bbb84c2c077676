// read_idx on arbitrary bytes. The first byte picks the dtype to read as and whether the rest is
// gzip-compressed first (so the fuzzer reaches the gzip path with meaningful content); the rest is
// the file. Anything but a tensor whose every element can be read, or a tg::Error, is a crash.
#include "../fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  tg_fuzz::Bytes bytes(data, size);
  const uint8_t mode = bytes.u8();
  const std::optional<tg::ScalarType> dtypes[] = {std::nullopt, tg::kFloat32, tg::kFloat64, tg::kInt64, tg::kBool};
  const auto dtype = dtypes[mode % 5];
  std::string content = bytes.rest();
  if (mode & 0x80) content = tg_fuzz::gzip(content);
  tg_fuzz::MemFile file(content);
  try {
    tg_fuzz::touch(tg::data::read_idx(file.path(), dtype));
  } catch (const tg::Error&) {
  }
  return 0;
}
