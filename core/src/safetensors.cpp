// Placeholder while the implementation is written (see core/include/tapegrad/safetensors.h).
#include "tapegrad/safetensors.h"

namespace tg::safetensors {
void save(const std::string& path, const OrderedDict<std::string, Tensor>&,
          const std::map<std::string, std::string>&) {
  throw Error("safetensors::save: not implemented yet (" + path + ")");
}
File load(const std::string& path) { throw Error("safetensors::load: not implemented yet (" + path + ")"); }
}  // namespace tg::safetensors
