// File readers: IDX (the MNIST container format) and numeric CSV. Both read plain or
// gzip-compressed files (detected by content, not by name). Errors are tg::Error naming the file
// and the byte offset or line and column.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tapegrad/tensor.h"

namespace tg::data {

// An IDX file as a tensor of the file's dims. Element types: 0x08 unsigned byte, 0x09 signed byte,
// 0x0B int16, 0x0C int32 (all read as kInt64 by default), 0x0D float32 (kFloat32), 0x0E float64
// (kFloat64); `dtype` converts the values (not scaled: a ubyte image read as kFloat32 holds 0..255).
Tensor read_idx(const std::string& path, std::optional<ScalarType> dtype = std::nullopt);

struct CsvOptions {
  CsvOptions& header(bool value) {
    header_ = value;
    return *this;
  }
  CsvOptions& delimiter(char value) {
    delimiter_ = value;
    return *this;
  }
  CsvOptions& dtype(ScalarType value) {
    dtype_ = value;
    return *this;
  }
  // The most bytes of text read_csv accepts, after decompression (a gzip bomb stops here, not at
  // the machine's memory). Default 1 GiB.
  CsvOptions& max_bytes(std::size_t value) {
    max_bytes_ = value;
    return *this;
  }
  std::size_t max_bytes() const { return max_bytes_; }
  bool header() const { return header_; }
  char delimiter() const { return delimiter_; }
  ScalarType dtype() const { return dtype_; }

 private:
  bool header_ = true;  // the first non-blank line names the columns
  char delimiter_ = ',';
  ScalarType dtype_ = kFloat32;
  std::size_t max_bytes_ = std::size_t{1} << 30;
};

struct CsvTable {
  Tensor values;                     // [rows, cols]
  std::vector<std::string> columns;  // from the header, or "0", "1", ... without one
};

// Reads a CSV of numbers. Cells are trimmed of blanks; an empty cell or "nan" reads as NaN (as
// pandas); "inf"/"-inf" as infinities; blank lines are skipped; a header's names may be quoted.
// Every row must have as many cells as the first.
CsvTable read_csv(const std::string& path, const CsvOptions& options = CsvOptions());

}  // namespace tg::data
