// tg::OrderedDict: an insertion-ordered map with libtorch's interface (torch::OrderedDict), used by
// Module::named_parameters(), state_dict() and the optimizers' state.
//
//   for (const auto& item : net->named_parameters()) fmt::print("{} {}\n", item.key(), item.value());
#pragma once
#include <cstddef>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tapegrad/error.h"

namespace tg {

template <typename Key, typename Value>
class OrderedDict {
 public:
  class Item {
   public:
    Item(Key key, Value value) : pair_(std::move(key), std::move(value)) {}
    const Key& key() const { return pair_.first; }
    Value& value() { return pair_.second; }
    const Value& value() const { return pair_.second; }
    Value& operator*() { return value(); }
    const Value& operator*() const { return value(); }
    Value* operator->() { return &value(); }
    const Value* operator->() const { return &value(); }
    const std::pair<Key, Value>& pair() const { return pair_; }

   private:
    std::pair<Key, Value> pair_;
  };
  using Iterator = typename std::vector<Item>::iterator;
  using ConstIterator = typename std::vector<Item>::const_iterator;

  explicit OrderedDict(std::string key_description = "Key") : key_description_(std::move(key_description)) {}
  OrderedDict(std::initializer_list<Item> items) {
    for (const auto& item : items) insert(item.key(), item.value());
  }

  const std::string& key_description() const { return key_description_; }
  std::size_t size() const { return items_.size(); }
  bool is_empty() const { return items_.empty(); }
  bool empty() const { return items_.empty(); }

  Iterator begin() { return items_.begin(); }
  Iterator end() { return items_.end(); }
  ConstIterator begin() const { return items_.begin(); }
  ConstIterator end() const { return items_.end(); }
  Item& front() { return at_index(0); }
  Item& back() { return at_index(items_.size() - 1); }
  Item& operator[](std::size_t index) { return at_index(index); }
  const Item& operator[](std::size_t index) const { return const_cast<OrderedDict*>(this)->at_index(index); }

  Value& operator[](const Key& key) {
    if (Value* v = find(key)) return *v;
    throw Error(key_description_ + " '" + describe(key) + "' is not defined");
  }
  const Value& operator[](const Key& key) const { return const_cast<OrderedDict&>(*this)[key]; }

  Value* find(const Key& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].value();
  }
  const Value* find(const Key& key) const { return const_cast<OrderedDict*>(this)->find(key); }
  bool contains(const Key& key) const { return index_.count(key) != 0; }

  // Inserts a new key; a duplicate key is an error (as libtorch).
  Value& insert(Key key, Value value) {
    if (contains(key)) throw Error(key_description_ + " '" + describe(key) + "' already defined");
    index_.emplace(key, items_.size());
    items_.emplace_back(std::move(key), std::move(value));
    return items_.back().value();
  }
  // Inserts or overwrites.
  Value& insert_or_assign(Key key, Value value) {
    if (Value* v = find(key)) return *v = std::move(value);
    return insert(std::move(key), std::move(value));
  }
  void update(const OrderedDict& other) {
    for (const auto& item : other) insert_or_assign(item.key(), item.value());
  }
  Value pop(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) throw Error(key_description_ + " '" + describe(key) + "' is not defined");
    const std::size_t pos = it->second;
    Value value = std::move(items_[pos].value());
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(pos));
    index_.erase(it);
    for (auto& entry : index_)
      if (entry.second > pos) --entry.second;
    return value;
  }
  void clear() {
    items_.clear();
    index_.clear();
  }
  void reserve(std::size_t n) {
    items_.reserve(n);
    index_.reserve(n);
  }

  std::vector<Key> keys() const {
    std::vector<Key> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(item.key());
    return out;
  }
  std::vector<Value> values() const {
    std::vector<Value> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(item.value());
    return out;
  }
  std::vector<std::pair<Key, Value>> pairs() const {
    std::vector<std::pair<Key, Value>> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(item.pair());
    return out;
  }
  const std::vector<Item>& items() const { return items_; }

 private:
  Item& at_index(std::size_t index) {
    if (index >= items_.size())
      throw Error("OrderedDict: index " + std::to_string(index) + " is out of range for size " +
                  std::to_string(items_.size()));
    return items_[index];
  }
  static std::string describe(const Key& key) {
    if constexpr (std::is_convertible_v<Key, std::string>) {
      return std::string(key);
    } else {
      return "<key>";
    }
  }

  std::string key_description_ = "Key";
  std::vector<Item> items_;
  std::unordered_map<Key, std::size_t> index_;
};

}  // namespace tg
