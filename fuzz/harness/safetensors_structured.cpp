// safetensors files built from the fuzzer's choices rather than its raw bytes, so that most inputs
// get past the JSON parser: a header of 0-3 entries with a dtype, a shape (sizes from small values
// and from values near the int64 and uint32 limits) and data offsets that are right, off by a
// little, or huge; then a data buffer of a chosen length.
#include "../fuzz_util.h"

namespace {
const std::vector<std::string> kDtypes = {"F32", "F64", "I64", "BOOL", "F16", "BF16", "I8", "I16",
                                          "I32", "U8",  "U16", "U32",  "U64", "F8",   ""};
const std::vector<uint64_t> kSizes = {
    0, 1, 2, 3, 4, 7, 1ull << 31, (1ull << 32) - 1, 1ull << 32, 1ull << 62, (1ull << 63) - 1, 1ull << 63, ~0ull};
const std::vector<int64_t> kOffsetDelta = {0, 0, 0, 1, -1, 8, 1ll << 40, -(1ll << 40)};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  tg_fuzz::Bytes bytes(data, size);
  std::string header = "{";
  if (bytes.u8() & 1) header += R"("__metadata__":{"format":"pt"},)";
  const int entries = bytes.u8() % 4;
  uint64_t offset = 0;
  for (int e = 0; e < entries; ++e) {
    const std::string dtype = bytes.pick(kDtypes);
    const int ndim = bytes.u8() % 5;
    std::string shape = "[";
    uint64_t numel = 1;
    for (int d = 0; d < ndim; ++d) {
      const uint64_t s = bytes.pick(kSizes);
      numel *= s;  // wraps on purpose: the loader must not trust it
      shape += (d ? "," : "") + std::to_string(s);
    }
    shape += "]";
    const uint64_t width = dtype == "F64" || dtype == "I64" || dtype == "U64"                      ? 8
                           : dtype == "F32" || dtype == "I32" || dtype == "U32"                    ? 4
                           : dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16" ? 2
                                                                                                   : 1;
    const uint64_t end = offset + numel * width + static_cast<uint64_t>(bytes.pick(kOffsetDelta));
    header += (e ? "," : "") + std::string("\"t") + std::to_string(bytes.u8() % 3) + "\":{\"dtype\":\"" + dtype +
              "\",\"shape\":" + shape + ",\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(end) +
              "]}";
    offset = end;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string file_bytes(8, '\0');
  for (int i = 0; i < 8; ++i) file_bytes[i] = static_cast<char>(header.size() >> (8 * i));
  file_bytes += header;
  // the data: as long as the header says (when that is small), or what the fuzzer has left
  const std::string rest = bytes.rest();
  if (offset <= (1u << 16) && !(rest.size() > 0 && (rest[0] & 1)))
    file_bytes += std::string(offset, '\x01');
  else
    file_bytes += rest;
  tg_fuzz::MemFile file(file_bytes);
  try {
    const tg::safetensors::File loaded = tg::safetensors::load(file.path());
    for (const auto& item : loaded.tensors) tg_fuzz::touch(item.value());
  } catch (const tg::Error&) {
  }
  return 0;
}
