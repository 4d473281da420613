// SPDX-License-Identifier: MIT
// Builds sock_diag reply messages byte by byte, for the edge cases a kernel rarely produces.
#pragma once

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tcpscope::testing {

class NlBuilder {
 public:
  // Starts a SOCK_DIAG_BY_FAMILY message with the given inet_diag_msg.
  NlBuilder& begin(const inet_diag_msg& m, uint32_t seq = 1, uint32_t pid = 0,
                   uint16_t flags = NLM_F_MULTI) {
    start_ = bytes_.size();
    nlmsghdr h{};
    h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = seq;
    h.nlmsg_pid = pid;
    put(&h, sizeof h);
    put(&m, sizeof m);
    return *this;
  }
  NlBuilder& attr(uint16_t type, const void* data, size_t len) {
    nlattr a{};
    a.nla_len = static_cast<uint16_t>(sizeof a + len);
    a.nla_type = type;
    put(&a, sizeof a);
    put(data, len);
    align();
    return *this;
  }
  template <typename T>
  NlBuilder& attr_value(uint16_t type, const T& v) {
    return attr(type, &v, sizeof v);
  }
  NlBuilder& end() {
    const auto len = static_cast<uint32_t>(bytes_.size() - start_);
    std::memcpy(bytes_.data() + start_, &len, sizeof len);
    return *this;
  }
  NlBuilder& done(int code = 0, uint32_t seq = 1, uint32_t pid = 0) {
    nlmsghdr h{};
    h.nlmsg_len = NLMSG_LENGTH(sizeof(int));
    h.nlmsg_type = NLMSG_DONE;
    h.nlmsg_flags = NLM_F_MULTI;
    h.nlmsg_seq = seq;
    h.nlmsg_pid = pid;
    put(&h, sizeof h);
    put(&code, sizeof code);
    return *this;
  }
  NlBuilder& error(int err, uint32_t seq = 1, uint32_t pid = 0) {
    nlmsghdr h{};
    h.nlmsg_len = NLMSG_LENGTH(sizeof(nlmsgerr));
    h.nlmsg_type = NLMSG_ERROR;
    h.nlmsg_seq = seq;
    h.nlmsg_pid = pid;
    put(&h, sizeof h);
    nlmsgerr e{};
    e.error = err;
    put(&e, sizeof e);
    return *this;
  }
  std::vector<std::byte>& bytes() { return bytes_; }
  const nlmsghdr& last_header() const {
    return *reinterpret_cast<const nlmsghdr*>(bytes_.data() + start_);
  }

  static inet_diag_msg msg(uint8_t family, uint8_t state, uint16_t sport, uint16_t dport,
                           uint64_t cookie = 1) {
    inet_diag_msg m{};
    m.idiag_family = family;
    m.idiag_state = state;
    m.id.idiag_sport = static_cast<uint16_t>((sport >> 8) | (sport << 8));
    m.id.idiag_dport = static_cast<uint16_t>((dport >> 8) | (dport << 8));
    m.id.idiag_cookie[0] = static_cast<uint32_t>(cookie);
    m.id.idiag_cookie[1] = static_cast<uint32_t>(cookie >> 32);
    return m;
  }

 private:
  void put(const void* p, size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  void align() {
    while (bytes_.size() % 4 != 0) bytes_.push_back(std::byte{0});
  }
  std::vector<std::byte> bytes_;
  size_t start_ = 0;
};

}  // namespace tcpscope::testing
