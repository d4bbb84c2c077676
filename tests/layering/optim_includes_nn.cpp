// A sideways include: optim does not link nn, so this file, compiled as part of optim, must not
// find nn's headers (ctest layering.optim_cannot_include_nn).
#include "tapegrad/optim/sgd.h"  // its own header: found

#include "tapegrad/nn.h"  // must not be found
