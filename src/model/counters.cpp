// SPDX-License-Identifier: MIT
#include "model/counters.hpp"

#include <fnmatch.h>

#include <array>
#include <cassert>
#include <cstring>

namespace tcpscope::model {

void CounterSnapshot::begin(int64_t taken_ns) {
  size_ = 0;
  taken_ns_ = taken_ns;
}

void CounterSnapshot::add(std::string_view name, uint64_t value) {
  if (size_ < entries_.size()) {
    Entry& e = entries_[size_];
    if (name == std::string_view(pool_.data() + e.name_off, e.name_len)) {
      e.value = value;
      ++size_;
      return;
    }
    // The order changed here: drop the stale tail and its names, append from now on.
    pool_.resize(e.name_off);
    entries_.resize(size_);
  }
  assert(pool_.size() + name.size() <= UINT32_MAX && "counter name pool beyond 4 GiB");
  entries_.push_back(
      Entry{static_cast<uint32_t>(pool_.size()), static_cast<uint32_t>(name.size()), value});
  pool_.append(name);
  ++size_;
}

std::optional<size_t> CounterSnapshot::find(std::string_view name, size_t hint) const {
  if (size_ == 0) return std::nullopt;
  if (hint >= size_) hint = 0;
  for (size_t i = hint; i < size_; ++i) {
    if (this->name(i) == name) return i;
  }
  for (size_t i = 0; i < hint; ++i) {
    if (this->name(i) == name) return i;
  }
  return std::nullopt;
}

std::optional<uint64_t> CounterSnapshot::value_of(std::string_view name) const {
  auto i = find(name);
  if (!i) return std::nullopt;
  return value(*i);
}

void CounterDeltas::compute(const CounterSnapshot& previous, const CounterSnapshot& current) {
  changes_.clear();
  resets_ = 0;
  const int64_t dt = current.taken_ns() - previous.taken_ns();
  elapsed_s_ = (previous.taken_ns() != 0 && current.taken_ns() != 0 && dt > 0)
                   ? static_cast<double>(dt) / 1e9
                   : 0.0;
  // Both snapshots normally list the same names in the same order, so the previous index of
  // each counter is the one after the last match: a forward scan, as nstat does, with a
  // wrap-around when a counter moved.
  size_t hint = 0;
  for (size_t i = 0; i < current.size(); ++i) {
    CounterChange c;
    c.index = static_cast<uint32_t>(i);
    const uint64_t now = current.value(i);
    if (auto p = previous.find(current.name(i), hint)) {
      hint = *p + 1;
      const uint64_t before = previous.value(*p);
      if (now < before) {
        c.reset = true;
        ++resets_;
      } else {
        c.delta = now - before;
      }
    } else {
      c.is_new = true;
      c.delta = now;
    }
    changes_.push_back(c);
  }
}

namespace {

bool has_glob(std::string_view p) { return p.find_first_of("*?[\\") != std::string_view::npos; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

bool CounterPatterns::matches(std::string_view name) const {
  if (patterns_.empty()) return true;
  // fnmatch needs a NUL-terminated name; counter names are short.
  std::array<char, 256> buf;
  std::string long_name;
  const char* c_name = buf.data();
  if (name.size() < buf.size()) {
    std::memcpy(buf.data(), name.data(), name.size());
    buf[name.size()] = '\0';
  } else {
    long_name.assign(name);
    c_name = long_name.c_str();
  }
  for (const std::string& p : patterns_) {
    if (::fnmatch(p.c_str(), c_name, FNM_CASEFOLD) == 0) return true;
  }
  return false;
}

bool CounterPatterns::names_exactly(std::string_view name) const {
  for (const std::string& p : patterns_) {
    if (!has_glob(p) && iequals(p, name)) return true;
  }
  return false;
}

bool nstat_hides(std::string_view name) {
  static constexpr std::string_view kHidden[] = {
      "IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin",
      "TcpRtoMax",    "TcpMaxConn",   "TcpCurrEstab",
  };
  for (std::string_view h : kHidden) {
    if (name == h) return true;
  }
  return false;
}

bool counter_is_gauge(std::string_view name) {
  // TcpCurrEstab is the only level among the MIB counters; the others of nstat's hidden list are
  // constants, which behave like levels too.
  return nstat_hides(name);
}

}  // namespace tcpscope::model
