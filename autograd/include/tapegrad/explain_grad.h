// explain_grad: a plain-English answer to "why is my gradient missing (or zero)?".
//
//   auto loss = model(x, y);
//   std::cout << tg::autograd::explain_grad(w, loss) << "\n";
//
// Each answer is one to three sentences for a student, names the tensor's shape and dtype, and
// names the op that explains it (a grad_fn such as MmBackward0, an op that ran under NoGradGuard,
// argmax, relu (#7), ...). docs/explain-grad.md shows every answer.
#pragma once
#include <string>

#include "tapegrad/tensor.h"

namespace tg::autograd {

// Explains, from `t` alone, what its .grad() holds and why. The answers, in the order they are
// checked: `t` is undefined; `t` has an integer or Bool dtype (only floating-point tensors have
// gradients); `t` is a leaf that does not require grad; `t` has no graph because the op that made
// it ran under NoGradGuard, or was detach(), or has no gradient (argmax, a comparison,
// to(kInt64)), naming that op; `t` was a leaf replaced by an update such as
// `w = w - lr * w.grad()` made with grad mode on (only when the subtracted tensor came from a leaf's
// .grad()); `t` is a non-leaf (naming its grad_fn), whose .grad() stays undefined without
// retain_grad(); otherwise whether t.grad() is undefined (no backward() since it was created or
// its gradient was reset), all zero, or nonzero (with its shape and norm, and which columns, rows
// or entries are exactly zero, if any).
// Only reads: never throws, never changes `t`, its gradient or its graph.
std::string explain_grad(const Tensor& t);

// Explains the gradient of `output` with respect to `t`. First what explain_grad(t) would say when
// `t` cannot have one (undefined, integer, not requiring grad), or that `output` does not require
// grad. Then whether `t` is on a path from `output` at all; if not, names the op that most likely
// cut the path (argmax, a comparison, to(kInt64), an op run under NoGradGuard, detach()) when a
// tensor computed from `t` was given to one on this thread after `t` existed, or says plainly that
// `t` does not appear in the graph of `output`. Otherwise replays backward from `output` (seeded
// with ones, hooks not run) and says whether the gradient reaching `t` is nonzero (its shape and
// norm, and any all-zero columns, rows or entries with the node they came from) or all zero; when
// zero, names the first node (closest to `output`) that received a nonzero gradient and sent zeros
// toward `t`, and why (relu: all of its inputs were negative; clamp: every input was outside
// [min, max]; ...), and another use of `t` that was cut. For a leaf replaced by an update, a second
// sentence says so.
// The replay uses its own buffers: no .grad() changes, no hook runs and the graph is kept. If
// backward() already freed the graph, says so and falls back to what t.grad() holds.
// Never throws.
std::string explain_grad(const Tensor& t, const Tensor& output);

}  // namespace tg::autograd
