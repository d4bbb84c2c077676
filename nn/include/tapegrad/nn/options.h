// Option builders in libtorch's style: `LinearOptions(4, 5).bias(false)`, `Conv2dOptions(1, 32, 3)
// .padding(1)`, `CrossEntropyLossOptions().reduction(tg::kSum)`. TG_ARG is libtorch's TORCH_ARG: a
// chainable setter and a getter with the same name.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tapegrad/error.h"
#include "tapegrad/tensor.h"

#define TG_ARG(T, name)                                           \
 public:                                                          \
  inline auto name(const T& new_##name)->decltype(*this) {        \
    this->name##_ = new_##name;                                   \
    return *this;                                                 \
  }                                                               \
  inline auto name(T&& new_##name)->decltype(*this) {             \
    this->name##_ = std::move(new_##name);                        \
    return *this;                                                 \
  }                                                               \
  inline const T& name() const noexcept { return this->name##_; } \
  inline T& name() noexcept { return this->name##_; }             \
                                                                  \
 private:                                                         \
  T name##_

namespace tg {

// Enum-like tags, as libtorch's torch::kMean etc.
namespace enumtype {
struct kNone {};
struct kMean {};
struct kSum {};
struct kBatchMean {};
struct kSame {};
struct kValid {};
struct kZeros {};
struct kReflect {};
struct kReplicate {};
struct kCircular {};
}  // namespace enumtype
inline constexpr enumtype::kNone kNone{};
inline constexpr enumtype::kMean kMean{};
inline constexpr enumtype::kSum kSum{};
inline constexpr enumtype::kBatchMean kBatchMean{};
inline constexpr enumtype::kSame kSame{};
inline constexpr enumtype::kValid kValid{};
inline constexpr enumtype::kZeros kZeros{};
inline constexpr enumtype::kReflect kReflect{};
inline constexpr enumtype::kReplicate kReplicate{};
inline constexpr enumtype::kCircular kCircular{};

// An array of D sizes given as one number (repeated) or as D numbers: kernel_size(3) == {3, 3}.
template <std::size_t D, typename T = int64_t>
class ExpandingArray {
 public:
  ExpandingArray(T single) { values_.fill(single); }  // NOLINT
  ExpandingArray(std::initializer_list<T> list) {     // NOLINT
    if (list.size() != D) throw Error("expected " + std::to_string(D) + " values, got " + std::to_string(list.size()));
    std::copy(list.begin(), list.end(), values_.begin());
  }
  ExpandingArray(const std::vector<T>& v) {  // NOLINT
    if (v.size() != D) throw Error("expected " + std::to_string(D) + " values, got " + std::to_string(v.size()));
    std::copy(v.begin(), v.end(), values_.begin());
  }
  ExpandingArray(const std::array<T, D>& a) : values_(a) {}  // NOLINT
  std::array<T, D>& operator*() { return values_; }
  const std::array<T, D>& operator*() const { return values_; }
  std::array<T, D>* operator->() { return &values_; }
  const std::array<T, D>* operator->() const { return &values_; }
  operator IntArrayRef() const { return IntArrayRef(values_.data(), D); }  // NOLINT
  T operator[](std::size_t i) const { return values_[i]; }
  std::size_t size() const noexcept { return D; }

 private:
  std::array<T, D> values_{};
};

namespace nn {

// reduction(...) of every loss: kNone, kMean (the default) or kSum.
using reduction_t = std::variant<enumtype::kNone, enumtype::kMean, enumtype::kSum>;
// KLDivLoss also takes kBatchMean.
using kldiv_reduction_t = std::variant<enumtype::kNone, enumtype::kBatchMean, enumtype::kSum, enumtype::kMean>;
template <std::size_t D>
using padding_t = std::variant<ExpandingArray<D>, enumtype::kValid, enumtype::kSame>;
using padding_mode_t = std::variant<enumtype::kZeros, enumtype::kReflect, enumtype::kReplicate, enumtype::kCircular>;

}  // namespace nn
}  // namespace tg
