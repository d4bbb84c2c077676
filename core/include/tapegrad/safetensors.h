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
// atomically: to a temporary file in the same directory, then rename. Throws tg::Error naming the
// path if it cannot be written (the old file, if any, is then left as it was).
void save(const std::string& path, const OrderedDict<std::string, Tensor>& tensors,
          const std::map<std::string, std::string>& metadata = {});

struct File {
  OrderedDict<std::string, Tensor> tensors{"Tensor"};  // in data-offset order
  std::map<std::string, std::string> metadata;
};

// Reads a whole file. A missing, truncated or corrupt file (bad header length, invalid JSON,
// unknown dtype, offsets outside the data or overlapping, shape/byte-count mismatch) throws
// tg::Error naming the path and, where it applies, the tensor.
File load(const std::string& path);

}  // namespace tg::safetensors
