// Thread-local free lists for the small objects every op allocates (TensorImpl, Storage, Node, a
// node's lists, and tensor buffers <= 1 KiB). A 1000-step chain allocates thousands of them and
// frees them together, which overflows glibc's per-thread cache: malloc/free took 31% of a
// recorded op (perf, see docs/PERFORMANCE.md). Blocks are reused by size class (16-byte steps)
// and kept for the life of the thread. The allocator itself is public (tapegrad/pool_allocator.h)
// because Node's lists use it.
#pragma once
#include "tapegrad/pool_allocator.h"
