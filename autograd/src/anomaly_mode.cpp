// Anomaly mode (tapegrad/anomaly_mode.h): the switch, the call stack every node recorded with it on
// keeps (return addresses from glibc's backtrace(3)), its symbolization at error time (GCC's
// libbacktrace, reading the program's DWARF line tables), and the engine's per-step check.
#include "tapegrad/anomaly_mode.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string_view>
#include <unordered_map>

#include "observe.h"
#include "tapegrad/internal/dispatch.h"
#include "tapegrad/internal/kernels.h"

// libbacktrace ships with GCC (Debian: libgcc-12-dev, installed with g++): its header sits in GCC's
// own include directory, which clang does not search, so the three functions used here are declared
// by hand when it is not found (the API has been stable since GCC 4.8).
#if __has_include(<backtrace.h>)
#include <backtrace.h>
#else
extern "C" {
struct backtrace_state;
typedef void (*backtrace_error_callback)(void* data, const char* msg, int errnum);
typedef int (*backtrace_full_callback)(void* data, uintptr_t pc, const char* filename, int lineno,
                                       const char* function);
typedef void (*backtrace_syminfo_callback)(void* data, uintptr_t pc, const char* symname, uintptr_t symval,
                                           uintptr_t symsize);
struct backtrace_state* backtrace_create_state(const char* filename, int threaded,
                                               backtrace_error_callback error_callback, void* data);
int backtrace_pcinfo(struct backtrace_state* state, uintptr_t pc, backtrace_full_callback callback,
                     backtrace_error_callback error_callback, void* data);
int backtrace_syminfo(struct backtrace_state* state, uintptr_t addr, backtrace_syminfo_callback callback,
                      backtrace_error_callback error_callback, void* data);
}
#endif

namespace tg::autograd {

namespace {
std::atomic<bool> anomaly_enabled{false};
}

bool AnomalyMode::is_enabled() { return anomaly_enabled.load(std::memory_order_relaxed); }
void AnomalyMode::set_enabled(bool enabled) {
  if (anomaly_enabled.exchange(enabled) != enabled) record_observers.fetch_add(enabled ? 1 : -1);
}
void set_detect_anomaly(bool enabled) { AnomalyMode::set_enabled(enabled); }

DetectAnomalyGuard::DetectAnomalyGuard() : previous_(AnomalyMode::is_enabled()) { AnomalyMode::set_enabled(true); }
DetectAnomalyGuard::~DetectAnomalyGuard() { AnomalyMode::set_enabled(previous_); }

// ---- capture: return addresses only ----

namespace {
constexpr int kMaxFrames = 64;
}

std::shared_ptr<const AnomalyMetadata> capture_anomaly_metadata() {
  std::array<void*, kMaxFrames + 1> buffer;
  const int n = ::backtrace(buffer.data(), static_cast<int>(buffer.size()));
  auto metadata = std::make_shared<AnomalyMetadata>();
  if (n > 1) metadata->frames.assign(buffer.begin() + 1, buffer.begin() + n);  // not this function's own
  return metadata;
}

// ---- symbolization, at error time ----

namespace {

// The repository root, from this file's path as the build passed it to the compiler (CMake passes
// absolute paths): "/src/tapegrad/" for "/src/tapegrad/autograd/src/anomaly_mode.cpp".
constexpr std::string_view kThisFile = __FILE__;
constexpr std::string_view kThisFileInRepo = "autograd/src/anomaly_mode.cpp";
constexpr std::string_view kRepoRoot = kThisFile.ends_with(kThisFileInRepo)
                                           ? kThisFile.substr(0, kThisFile.size() - kThisFileInRepo.size())
                                           : std::string_view();
// tapegrad's own source directories under the root (the library's layers and the umbrella header).
constexpr std::array<std::string_view, 8> kOwnDirs = {"core/", "autograd/",  "nn/",      "optim/",
                                                      "data/", "serialize/", "testing/", "include/"};

enum class Owner { kUser, kTapegrad, kSystem };

// One source-level frame: a return address resolves to one or more (the functions inlined at it,
// innermost first, then the function containing it).
struct Frame {
  std::size_t index = 0;  // position of the return address in the captured stack
  uintptr_t pc = 0;
  std::string file;  // empty without debug information
  int line = 0;
  std::string function;  // demangled; may be empty
  std::string object;    // the executable or shared library holding pc
  Owner owner = Owner::kSystem;
};

backtrace_state* symbolizer() {
  // created once, on the first error; libbacktrace keeps it (and what it read) for the process
  static backtrace_state* state = backtrace_create_state(
      nullptr, /*threaded=*/1, [](void*, const char*, int) {}, nullptr);
  return state;
}

std::string demangle(const char* name) {
  if (!name || !*name) return {};
  int status = 0;
  char* out = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  if (status != 0 || !out) return name;
  std::string result(out);
  std::free(out);
  return result;
}

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  for (std::string_view p : prefixes)
    if (s.starts_with(p)) return true;
  return false;
}

// The C and C++ runtimes and the libraries tapegrad links as shared objects.
bool is_system_object(std::string_view object) {
  const std::size_t slash = object.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? object : object.substr(slash + 1);
  return starts_with_any(base, {"libc.so", "libstdc++", "libgcc_s", "libm.so", "ld-linux", "libpthread", "libtbb",
                                "libopenblas", "libblas", "libgomp", "libz.so", "libfmt"});
}

Owner owner_of(const Frame& f) {
  if (is_system_object(f.object)) return Owner::kSystem;
  if (!f.file.empty()) {
    std::string_view file = f.file;
    if (!kRepoRoot.empty() && kRepoRoot.front() == '/' && file.starts_with(kRepoRoot)) {
      file.remove_prefix(kRepoRoot.size());
      for (std::string_view dir : kOwnDirs)
        if (file.starts_with(dir)) return Owner::kTapegrad;
      return Owner::kUser;
    }
    if (file.find("/include/tapegrad/") != std::string_view::npos) return Owner::kTapegrad;  // installed headers
    if (file.front() != '/' || starts_with_any(file, {"/usr/include/", "/usr/lib/"})) return Owner::kSystem;
    return Owner::kUser;
  }
  // no debug information (tapegrad itself is built without it): decide by the function's name
  const std::string_view fn = f.function;
  if (fn.empty()) return Owner::kSystem;
  if (fn.starts_with("tg::")) return Owner::kTapegrad;
  if (starts_with_any(fn, {"std::", "__gnu_cxx::", "__", "_start"})) return Owner::kSystem;
  return Owner::kUser;
}

std::vector<Frame> symbolize(const std::vector<void*>& addresses) {
  std::vector<Frame> frames;
  backtrace_state* state = symbolizer();
  for (std::size_t k = 0; k < addresses.size(); ++k) {
    // a return address points after the call; the call's line is that of the byte before it
    const uintptr_t pc = reinterpret_cast<uintptr_t>(addresses[k]) - 1;
    std::string object;
    if (Dl_info info{}; dladdr(addresses[k], &info) && info.dli_fname) object = info.dli_fname;
    const std::size_t first = frames.size();
    struct Sink {
      std::vector<Frame>* frames;
      std::size_t index;
      const std::string* object;
    } sink{&frames, k, &object};
    if (state)
      backtrace_pcinfo(
          state, pc,
          [](void* data, uintptr_t pc, const char* file, int line, const char* function) -> int {
            auto* s = static_cast<Sink*>(data);
            s->frames->push_back(Frame{s->index, pc, file ? file : "", line, demangle(function), *s->object});
            return 0;
          },
          [](void*, const char*, int) {}, &sink);
    if (frames.size() == first) frames.push_back(Frame{k, pc, "", 0, "", object});
    // the function containing pc: its qualified name from the symbol table (the debug information
    // has only the plain name, "TestBody"), or the only name there is without debug information
    Frame& outer = frames.back();
    if (state)
      backtrace_syminfo(
          state, pc,
          [](void* data, uintptr_t, const char* symbol, uintptr_t, uintptr_t) {
            if (symbol) static_cast<Frame*>(data)->function = demangle(symbol);
          },
          [](void*, const char*, int) {}, &outer);
    for (std::size_t i = first; i < frames.size(); ++i) frames[i].owner = owner_of(frames[i]);
  }
  return frames;
}

std::string shorten(std::string s, std::size_t limit = 200) {
  if (s.size() > limit) s = s.substr(0, limit - 3) + "...";
  return s;
}

std::string location(const Frame& f) {
  if (!f.file.empty())
    return fmt::format("{}:{} in {}", f.file, f.line, f.function.empty() ? "?" : shorten(f.function));
  if (!f.function.empty()) return "in " + shorten(f.function);
  return fmt::format("0x{:x} in {}", f.pc, f.object.empty() ? "?" : f.object);
}

// One line per frame from `from` on; with up_to_main, the C runtime's frames that call main are left out.
std::string format_frames(const std::vector<Frame>& frames, std::size_t from, bool up_to_main) {
  std::string out;
  for (std::size_t i = from; i < frames.size(); ++i) {
    const Frame& f = frames[i];
    const bool inlined = i + 1 < frames.size() && frames[i + 1].index == f.index;
    out += fmt::format("  #{} {}{}\n", f.index, location(f), inlined ? " (inlined)" : "");
    if (up_to_main && !inlined && f.function == "main") break;
  }
  return out;
}

std::size_t first_user_frame(const std::vector<Frame>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i)
    if (frames[i].owner == Owner::kUser) return i;
  return frames.size();
}

}  // namespace

std::string AnomalyMetadata::forward_location() const {
  const std::vector<Frame> resolved = symbolize(frames);
  const std::size_t user = first_user_frame(resolved);
  return user < resolved.size() ? location(resolved[user]) : std::string();
}

std::string AnomalyMetadata::forward_traceback() const {
  const std::vector<Frame> resolved = symbolize(frames);
  const std::size_t user = first_user_frame(resolved);
  return format_frames(resolved, user < resolved.size() ? user : 0, /*up_to_main=*/true);
}

std::string AnomalyMetadata::traceback() const { return format_frames(symbolize(frames), 0, /*up_to_main=*/false); }

// ---- the check, after every backward step ----

namespace {

struct NonFinite {
  int64_t nan = 0;
  int64_t inf = 0;
};

template <typename T>
NonFinite count_non_finite(const T* p, int64_t n) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr Bits exponent = static_cast<Bits>(sizeof(T) == 4 ? 0x7f800000ull : 0x7ff0000000000000ull);
  // a branch-free pass (vectorised) finds whether anything is wrong; counting is for the message
  Bits any = 0;
  for (int64_t i = 0; i < n; ++i) any |= static_cast<Bits>((std::bit_cast<Bits>(p[i]) & exponent) == exponent);
  NonFinite out;
  if (!any) return out;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(p[i])) ++out.nan;
    if (std::isinf(p[i])) ++out.inf;
  }
  return out;
}

NonFinite non_finite(const Tensor& g) {
  NonFinite out;
  if (g.numel() == 0) return out;
  const TensorBase dense = kernels::contiguous(g);
  TG_DISPATCH_FLOATING(dense.dtype(), "anomaly mode",
                       [&] { out = count_non_finite(dense.data_ptr<scalar_t>(), dense.numel()); });
  return out;
}

std::string node_label(const Node& node) { return fmt::format("{} (#{})", node.backward_name(), node.sequence_nr()); }

// The chain of nodes from one of the roots down to `target`, found breadth first (a shortest one),
// as "SumBackward0 (#14) -> MulBackward0 (#13) -> SqrtBackward0 (#12)".
std::string chain_to(const Node& target, const std::vector<std::shared_ptr<Node>>& roots) {
  std::unordered_map<const Node*, const Node*> parent;  // node -> the node whose edge reached it first
  std::deque<const Node*> queue;
  for (const auto& root : roots)
    if (root && parent.emplace(root.get(), nullptr).second) queue.push_back(root.get());
  bool found = false;
  while (!queue.empty() && !found) {
    const Node* node = queue.front();
    queue.pop_front();
    if (node == &target) {
      found = true;
      break;
    }
    for (const Edge& edge : node->next_edges())
      if (edge.function && parent.emplace(edge.function.get(), node).second) queue.push_back(edge.function.get());
  }
  if (!found) return node_label(target);
  std::vector<const Node*> path;
  for (const Node* n = &target; n; n = parent.at(n)) path.push_back(n);
  std::string out;
  constexpr std::size_t kShown = 6;  // at each end of a long chain
  for (std::size_t i = path.size(); i-- > 0;) {
    const std::size_t from_root = path.size() - 1 - i;
    if (path.size() > 2 * kShown + 1 && from_root == kShown) {
      out += fmt::format(" -> ... ({} more) ...", path.size() - 2 * kShown);
      i = kShown;
    }
    out += (out.empty() ? "" : " -> ") + node_label(*path[i]);
  }
  return out;
}

}  // namespace

void check_anomaly(const Node& node, const variable_list& grad_inputs,
                   const std::vector<std::shared_ptr<Node>>& roots) {
  for (std::size_t i = 0; i < grad_inputs.size(); ++i) {
    const Tensor& g = grad_inputs[i];
    if (!g.defined() || !is_floating_point(g.dtype())) continue;
    const NonFinite bad = non_finite(g);
    if (bad.nan == 0 && bad.inf == 0) continue;

    // PyTorch's first line, then what tapegrad knows besides
    std::string message = fmt::format("Function '{}' returned {} values in its {}th output.\n", node.backward_name(),
                                      bad.nan > 0 ? "nan" : "inf", i);
    message += fmt::format(
        "  node: '{}' (#{}); its {}th output is the gradient for input {} of the forward: shape {}, {}, "
        "{} NaN and {} Inf among {} elements\n",
        node.name(), node.sequence_nr(), i, i, shape_str(g.sizes()), dtype_name(g.dtype()), bad.nan, bad.inf,
        g.numel());
    message += "  chain from the loss: " + chain_to(node, roots) + "\n";
    if (const AnomalyMetadata* metadata = node.anomaly_metadata()) {
      const std::vector<Frame> frames = symbolize(metadata->frames);
      const std::size_t user = first_user_frame(frames);
      message += "  forward call: " +
                 (user < frames.size() ? location(frames[user]) : std::string("unknown (no frame outside tapegrad)")) +
                 "\n";
      message += "Traceback of forward call that caused the error:\n";
      message += format_frames(frames, user < frames.size() ? user : 0, /*up_to_main=*/true);
    } else {
      message += fmt::format(
          "  forward call: unknown: node #{} was recorded while anomaly mode was off (turn it on before the "
          "forward to see where it was called)\n",
          node.sequence_nr());
    }
    if (!message.empty() && message.back() == '\n') message.pop_back();
    throw Error(message);
  }
}

}  // namespace tg::autograd
