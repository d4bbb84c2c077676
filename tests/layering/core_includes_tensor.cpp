// An upward include: core knows nothing of autograd, so tg::Tensor's header is not on its include
// path (ctest layering.core_cannot_include_autograd).
#include "tapegrad/internal/kernels.h"  // its own header: found

#include "tapegrad/tensor.h"  // must not be found
