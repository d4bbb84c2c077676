// read_csv: a table of numbers, with the header's names.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "file_reader.h"
#include "tapegrad/data/readers.h"
#include "tapegrad/ops.h"

namespace tg::data {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string_view unquote(std::string_view s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return trim(s.substr(1, s.size() - 2));
  return s;
}

std::vector<std::string_view> split(std::string_view line, char delimiter) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(delimiter, start);
    cells.push_back(
        unquote(trim(line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start))));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return cells;
}

bool parse_number(std::string_view cell, double& value) {
  if (cell.empty()) {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (cell.front() == '+') cell.remove_prefix(1);  // from_chars does not take a '+' sign
  const char* end = cell.data() + cell.size();
  auto [ptr, ec] = std::from_chars(cell.data(), end, value);
  if (ec == std::errc::result_out_of_range) {  // keep what strtod would: inf or a denormal/zero
    value = std::strtod(std::string(cell).c_str(), nullptr);
    return true;
  }
  return ec == std::errc() && ptr == end;
}

}  // namespace

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  if (!is_floating_point(options.dtype()))
    throw Error(fmt::format("read_csv: dtype must be Float32 or Float64 (cells may be NaN), got {}",
                            dtype_name(options.dtype())));
  const std::vector<uint8_t> bytes = detail::read_file_bytes(path, "read_csv", options.max_bytes());
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  CsvTable table;
  std::vector<double> values;
  std::size_t columns = 0;
  int64_t rows = 0;
  std::size_t first_line = 0;  // the line that fixed the column count
  std::size_t line_number = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(position, end - position);
    position = end + 1;
    ++line_number;
    if (trim(line).empty()) continue;
    const std::vector<std::string_view> cells = split(line, options.delimiter());
    if (columns == 0) {
      columns = cells.size();
      first_line = line_number;
      if (options.header()) {
        for (std::string_view name : cells) table.columns.emplace_back(name);
        continue;
      }
      for (std::size_t c = 0; c < columns; ++c) table.columns.push_back(std::to_string(c));
    }
    if (cells.size() != columns)
      throw Error(fmt::format("read_csv: '{}' line {} has {} cells, expected {} (as line {})", path, line_number,
                              cells.size(), columns, first_line));
    for (std::size_t c = 0; c < columns; ++c) {
      double value = 0;
      if (!parse_number(cells[c], value))
        throw Error(fmt::format("read_csv: '{}' line {}, column {} ('{}'): cannot parse '{}' as a number", path,
                                line_number, c + 1, table.columns[c], cells[c]));
      values.push_back(value);
    }
    ++rows;
  }
  if (columns == 0 && options.header()) throw Error(fmt::format("read_csv: '{}' is empty: no header line", path));
  table.values = tensor_from_values(values, {rows, static_cast<int64_t>(columns)}, options.dtype());
  return table;
}

}  // namespace tg::data
