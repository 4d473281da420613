// SPDX-License-Identifier: MIT
// A minimal RFC 8259 well-formedness check for tests and fuzz targets: one JSON value, nothing
// after it but whitespace. Strings must be valid UTF-8 with valid escapes; numbers must follow
// the JSON grammar (no NaN, no leading '+', no leading zeros). Duplicate keys are reported too.
#pragma once

#include <cctype>
#include <set>
#include <string>
#include <string_view>

namespace tcpscope::testing {

class JsonChecker {
 public:
  explicit JsonChecker(std::string_view s) : s_(s) {}

  // True if the whole input is exactly one well-formed JSON value.
  bool ok() {
    ws();
    if (!value(0)) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  bool value(int depth) {
    if (depth > 64 || i_ >= s_.size()) return false;
    switch (s_[i_]) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"': {
        std::string unused;
        return string(unused);
      }
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  bool object(int depth) {
    ++i_;
    ws();
    std::set<std::string> keys;
    if (peek('}')) return ++i_, true;
    for (;;) {
      ws();
      std::string key;
      if (i_ >= s_.size() || s_[i_] != '"' || !string(key)) return false;
      if (!keys.insert(key).second) return false;  // duplicate key
      ws();
      if (!peek(':')) return false;
      ++i_;
      ws();
      if (!value(depth + 1)) return false;
      ws();
      if (peek(',')) {
        ++i_;
        continue;
      }
      if (peek('}')) return ++i_, true;
      return false;
    }
  }

  bool array(int depth) {
    ++i_;
    ws();
    if (peek(']')) return ++i_, true;
    for (;;) {
      ws();
      if (!value(depth + 1)) return false;
      ws();
      if (peek(',')) {
        ++i_;
        continue;
      }
      if (peek(']')) return ++i_, true;
      return false;
    }
  }

  bool string(std::string& text) {
    ++i_;  // opening quote
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') return ++i_, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (++i_ >= s_.size()) return false;
        const char e = s_[i_];
        if (e == 'u') {
          for (int k = 1; k <= 4; ++k) {
            if (i_ + k >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_ + k])))
              return false;
          }
          text.append(s_.substr(i_ - 1, 6));
          i_ += 5;
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) return false;
        text.push_back(e);
        ++i_;
        continue;
      }
      if (c < 0x80) {
        text.push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      const size_t n = utf8_len(i_);
      if (n == 0) return false;
      text.append(s_.substr(i_, n));
      i_ += n;
    }
    return false;
  }

  size_t utf8_len(size_t i) const {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s_[k]); };
    const unsigned char c = b(i);
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return 0;
    }
    if (i + n > s_.size() || b(i + 1) < lo || b(i + 1) > hi) return 0;
    for (size_t k = 2; k < n; ++k)
      if ((b(i + k) & 0xC0) != 0x80) return 0;
    return n;
  }

  bool number() {
    const size_t start = i_;
    if (peek('-')) ++i_;
    if (peek('0')) {
      ++i_;
    } else if (digit()) {
      while (digit()) ++i_;
    } else {
      return false;
    }
    if (peek('.')) {
      ++i_;
      if (!digit()) return false;
      while (digit()) ++i_;
    }
    if (peek('e') || peek('E')) {
      ++i_;
      if (peek('+') || peek('-')) ++i_;
      if (!digit()) return false;
      while (digit()) ++i_;
    }
    return i_ > start;
  }

  bool literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  bool digit() const { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }

  std::string_view s_;
  size_t i_ = 0;
};

inline bool json_well_formed(std::string_view s) { return JsonChecker(s).ok(); }

}  // namespace tcpscope::testing
