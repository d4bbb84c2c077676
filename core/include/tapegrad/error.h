// tg::Error: the one exception type tapegrad throws for user errors. Every message names the op or
// module and the offending shapes, dtypes or values, e.g. "matmul: shapes [3, 4] and [5, 6] ...".
#pragma once
#include <stdexcept>
#include <string>

namespace tg {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace tg

// TG_CHECK(cond, "op", fmt-string, args...): throw tg::Error("op: <formatted message>") when cond
// is false. The formatting lives out of line so that including this header stays cheap.
namespace tg::detail {
[[noreturn]] void throw_error(const std::string& message);
}  // namespace tg::detail
