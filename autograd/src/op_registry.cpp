// The list of every op that owns a vjp, built by an explicit function (no static registration, so
// a static link needs no --whole-archive). The op-table test checks each has a table entry.
#include "ops_common.h"

namespace tg::autograd {

const std::vector<const OpDef*>& registered_ops() {
  static const std::vector<const OpDef*> ops = [] {
    std::vector<const OpDef*> out;
    tg::ops::add_pointwise_ops(out);
    tg::ops::add_reduce_ops(out);
    tg::ops::add_shape_ops(out);
    tg::ops::add_linalg_ops(out);
    tg::ops::add_conversion_ops(out);
    tg::ops::add_nn_ops(out);
    return out;
  }();
  return ops;
}

}  // namespace tg::autograd
