// nn builds layers from autograd ops only: core's kernel interface is not on its include path
// (ctest layering.nn_cannot_include_core_internal).
#include "tapegrad/nn/module.h"  // its own header: found

#include "tapegrad/internal/kernels.h"  // must not be found
