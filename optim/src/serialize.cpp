// tg::save / tg::load for optimizers: the state_dict in a safetensors file, with the optimizer's
// type in the metadata so that loading an Adam checkpoint into an SGD fails with a clear message.
#include "tapegrad/optim/serialize.h"

#include <fmt/core.h>

#include "tapegrad/safetensors.h"

namespace tg {

namespace {
constexpr const char* kFormat = "tapegrad.optim";
}

void save(const optim::Optimizer& optimizer, const std::string& path) {
  safetensors::save(path, optimizer.state_dict(), {{"format", kFormat}, {"optimizer", optimizer.type_name()}});
}

void load(optim::Optimizer& optimizer, const std::string& path) {
  safetensors::File file = safetensors::load(path);  // its errors name the path
  auto format = file.metadata.find("format");
  auto type = file.metadata.find("optimizer");
  if (format == file.metadata.end() || format->second != kFormat)
    throw Error(
        fmt::format("tg::load: '{}' does not hold an optimizer saved by tg::save (metadata "
                    "format is '{}', expected '{}')",
                    path, format == file.metadata.end() ? "" : format->second, kFormat));
  if (type == file.metadata.end() || type->second != optimizer.type_name())
    throw Error(fmt::format("tg::load: '{}' holds the state of a {} optimizer, cannot load it into {}", path,
                            type == file.metadata.end() ? "(unknown)" : type->second, optimizer.type_name()));
  try {
    optimizer.load_state_dict(file.tensors);
  } catch (const Error& e) {
    throw Error(fmt::format("tg::load: '{}': {}", path, e.what()));
  }
}

}  // namespace tg
