// SPDX-License-Identifier: MIT
// What closed connections say, summed: the direction of a closed socket (inbound when its local
// address and port belong to a listener), and per-interval accounts per listener port (inbound)
// or remote port (outbound): connections closed, bytes each way, how many closed with
// retransmissions, and their RTT distribution. Used by `watch --summary` and the agent.
//
// Memory is bounded: at most `max_keys` ports are tracked per interval; the ports beyond fold
// into one "other" account. RTT percentiles come from a log-scale histogram (4 buckets per
// doubling: a percentile is the upper bound of its bucket, within 19 % of the true value).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/socket_record.hpp"

namespace tcpscope::model {

enum class Direction : uint8_t { kInbound, kOutbound };
std::string_view direction_name(Direction d);  // "inbound", "outbound"

struct ListenerInfo;

// What the final tcp_info of a closed TCP socket says, as every account counts it.
struct CloseFacts {
  bool has_info = false;          // the event carried tcp_info (none of the rest is set without)
  uint64_t bytes_sent = 0;        // data sent once: tcpi_bytes_sent - tcpi_bytes_retrans (5.5+),
                                  // before that tcpi_bytes_acked (with the SYN and FIN)
  uint64_t bytes_received = 0;    // tcpi_bytes_received (a received FIN counts 1)
  uint32_t retrans_segments = 0;  // tcpi_total_retrans
  uint32_t rtt_us = 0;            // tcpi_rtt (smoothed); 0: never measured
};
CloseFacts close_facts(const SocketRecord& r);

// The listening sockets of a namespace, as (family, address, port); a wildcard address matches
// any local address of its family (and an IPv6 wildcard that is not v6only matches IPv4 too).
class ListenerSet {
 public:
  void clear() {
    entries_.clear();
    cookies_.clear();
  }
  // A TCP listener, or a UDP socket bound with no peer (a UDP "server").
  void add(const SocketRecord& r);
  // A TCP listener from a census.
  void add(const ListenerInfo& l);
  void finish();  // sorts; call after the adds
  bool contains(uint8_t protocol, uint8_t family, const std::array<uint8_t, 16>& addr,
                uint16_t port) const;
  Direction direction(const SocketRecord& closed) const;
  // The freed socket is one of the listeners themselves (same cookie), not a connection.
  bool is_listener(uint64_t cookie) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    uint16_t port;
    uint8_t protocol;
    uint8_t family;
    bool wildcard;
    bool dual;  // an IPv6 wildcard that also takes IPv4
    std::array<uint8_t, 16> addr;
  };
  std::vector<Entry> entries_;
  std::vector<uint64_t> cookies_;  // sorted by finish()
};

// RTT histogram: bucket k holds RTTs up to 2^(k/4) microseconds (k = 0 .. kRttBuckets - 1; the
// last bucket holds everything larger).
inline constexpr size_t kRttBuckets = 112;  // up to 2^27.75 us, about 3.8 minutes
size_t rtt_bucket(uint32_t rtt_us);
double rtt_bucket_upper_us(size_t k);

struct CloseAccount {
  uint64_t closed = 0;
  uint64_t bytes_sent = 0;      // data sent: tcpi_bytes_sent - tcpi_bytes_retrans (5.5+)
  uint64_t bytes_received = 0;  // tcpi_bytes_received (a received FIN counts 1)
  uint64_t with_retrans = 0;    // closed with tcpi_total_retrans > 0
  uint64_t retrans_segments = 0;
  uint64_t rtt_samples = 0;  // TCP sockets with an RTT measured
  std::array<uint32_t, kRttBuckets> rtt{};

  void add(const SocketRecord& r);
  void merge(const CloseAccount& o);
  // The p-th percentile (0 < p <= 100) of the RTT in microseconds; nullopt without samples.
  std::optional<double> rtt_percentile_us(double p) const;
};

struct CloseKey {
  Direction direction;
  uint8_t protocol;
  uint16_t port;  // the listener's (inbound) or the remote one (outbound)
  bool operator==(const CloseKey&) const = default;
};

class CloseSummary {
 public:
  explicit CloseSummary(size_t max_keys = 64) : max_keys_(max_keys) {}
  void add(const SocketRecord& r, Direction d);
  // The accounts, largest first (by connections closed), at most `top` of them, and the rest
  // (those beyond `top` and those folded while counting) in `other`.
  struct Row {
    CloseKey key;
    CloseAccount account;
  };
  void top(size_t top, std::vector<Row>& rows, CloseAccount& other) const;
  uint64_t total() const { return total_; }
  void clear();

 private:
  struct KeyHash {
    size_t operator()(const CloseKey& k) const {
      return (static_cast<size_t>(k.port) << 9) ^ (static_cast<size_t>(k.protocol) << 1) ^
             static_cast<size_t>(k.direction);
    }
  };
  size_t max_keys_;
  std::unordered_map<CloseKey, CloseAccount, KeyHash> accounts_;
  CloseAccount folded_;
  uint64_t total_ = 0;
};

}  // namespace tcpscope::model
