// read_csv on arbitrary bytes. The first byte picks the options (header, delimiter, dtype, gzip);
// max_bytes is 64 KiB, so a gzip stream that expands past it must stop there with a tg::Error.
#include "../fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  tg_fuzz::Bytes bytes(data, size);
  const uint8_t mode = bytes.u8();
  tg::data::CsvOptions options;
  options.header(mode & 1).delimiter(",;\t "[(mode >> 1) & 3]).dtype(mode & 8 ? tg::kFloat64 : tg::kFloat32);
  options.max_bytes(std::size_t{1} << 16);
  std::string content = bytes.rest();
  if (mode & 0x80) content = tg_fuzz::gzip(content);
  tg_fuzz::MemFile file(content);
  try {
    const tg::data::CsvTable table = tg::data::read_csv(file.path(), options);
    tg_fuzz::touch(table.values);
    if (table.values.dim() != 2 || static_cast<int64_t>(table.columns.size()) != table.values.size(1)) __builtin_trap();
  } catch (const tg::Error&) {
  }
  return 0;
}
