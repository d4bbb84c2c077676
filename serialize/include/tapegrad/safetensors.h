// The safetensors file format (https://github.com/huggingface/safetensors), so weights move to and
// from the Python ecosystem: an 8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "value"}}
// then the raw little-endian tensor bytes. tg::save(module, path) and tg::save(optimizer, path)
// are built on these two functions.
#pragma once
#include <map>
#include <string>

#include "tapegrad/ordered_dict.h"
#include "tapegrad/tensor.h"

namespace tg::safetensors {

// Writes `tensors` (kFloat32 -> F32, kFloat64 -> F64, kInt64 -> I64, kBool -> BOOL; any strides)
// atomically: to a temporary file in the same directory, flushed to disk, then renamed over
// `path`. Throws tg::Error naming the path if it cannot be written (the old file, if any, is then
// left as it was, and no temporary file remains).
// Layout: `__metadata__` first (only when `metadata` is not empty), then one header entry per
// tensor in the order of `tensors` (not sorted), their data packed row-major little-endian in that
// same order; the JSON header is padded with spaces so the data starts at a multiple of 8 bytes.
void save(const std::string& path, const OrderedDict<std::string, Tensor>& tensors,
          const std::map<std::string, std::string>& metadata = {});

struct File {
  OrderedDict<std::string, Tensor> tensors{"Tensor"};  // in data-offset order
  std::map<std::string, std::string> metadata;
};

// Reads a whole file. A missing, truncated or corrupt file (bad header length, invalid JSON,
// unknown dtype, offsets outside the data or overlapping, shape/byte-count mismatch) throws
// tg::Error naming the path and, where it applies, the tensor.
// Strict as the spec asks: the header is at most 100 MB, duplicate names are refused, the tensors'
// data_offsets must tile the data buffer exactly (no holes, overlaps or trailing bytes), BOOL bytes
// must be 0 or 1; unknown fields in an entry are ignored. Besides F32, F64, I64 and BOOL it reads
// F16 and BF16 (as kFloat32) and I8, I16, I32, U8, U16, U32, U64 (as kInt64; a U64 value above
// INT64_MAX is an error). Memory used is at most the file's data size (times 8 for U8 -> kInt64).
File load(const std::string& path);

}  // namespace tg::safetensors
