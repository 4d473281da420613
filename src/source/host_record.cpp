// SPDX-License-Identifier: MIT
#include "source/host_record.hpp"

#include <net/if.h>

#include <charconv>
#include <optional>
#include <vector>

#include "base/file.hpp"

namespace tcpscope::source {

namespace {

struct SockStatField {
  const char* key;
  uint64_t model::SockStat::*field;
};

constexpr SockStatField kSockStat[] = {
    {"sockets_used", &model::SockStat::sockets_used},
    {"tcp_inuse", &model::SockStat::tcp_inuse},
    {"tcp_orphan", &model::SockStat::tcp_orphan},
    {"tcp_tw", &model::SockStat::tcp_tw},
    {"tcp_alloc", &model::SockStat::tcp_alloc},
    {"tcp_mem", &model::SockStat::tcp_mem},
    {"udp_inuse", &model::SockStat::udp_inuse},
    {"udp_mem", &model::SockStat::udp_mem},
    {"udplite_inuse", &model::SockStat::udplite_inuse},
    {"raw_inuse", &model::SockStat::raw_inuse},
    {"frag_inuse", &model::SockStat::frag_inuse},
    {"frag_memory", &model::SockStat::frag_memory},
    {"tcp6_inuse", &model::SockStat::tcp6_inuse},
    {"udp6_inuse", &model::SockStat::udp6_inuse},
    {"udplite6_inuse", &model::SockStat::udplite6_inuse},
    {"raw6_inuse", &model::SockStat::raw6_inuse},
    {"frag6_inuse", &model::SockStat::frag6_inuse},
    {"frag6_memory", &model::SockStat::frag6_memory},
};

struct TunableField {
  const char* key;
  std::optional<int64_t> model::Tunables::*field;
};

constexpr TunableField kTunables[] = {
    {"somaxconn", &model::Tunables::somaxconn},
    {"tcp_max_syn_backlog", &model::Tunables::tcp_max_syn_backlog},
    {"tcp_syncookies", &model::Tunables::tcp_syncookies},
    {"tcp_max_tw_buckets", &model::Tunables::tcp_max_tw_buckets},
    {"tcp_max_orphans", &model::Tunables::tcp_max_orphans},
    {"tcp_fin_timeout", &model::Tunables::tcp_fin_timeout},
    {"tcp_tw_reuse", &model::Tunables::tcp_tw_reuse},
    {"tcp_synack_retries", &model::Tunables::tcp_synack_retries},
    {"tcp_syn_retries", &model::Tunables::tcp_syn_retries},
    {"tcp_abort_on_overflow", &model::Tunables::tcp_abort_on_overflow},
    {"tcp_orphan_retries", &model::Tunables::tcp_orphan_retries},
    {"tcp_retries2", &model::Tunables::tcp_retries2},
};

template <typename T>
bool parse_number(std::string_view s, T& out) {
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> w;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t b = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > b) w.push_back(line.substr(b, i - b));
  }
  return w;
}

}  // namespace

std::string encode_host_record(const model::HostState& host,
                               const std::map<uint32_t, std::string>& ifnames) {
  std::string out;
  auto line = [&](std::string_view key, const std::string& values) {
    out.append(key).append(" ").append(values).append("\n");
  };
  if (host.has_sockstat) {
    for (const auto& f : kSockStat) {
      line(std::string("sockstat.") + f.key, std::to_string(host.sockstat.*f.field));
    }
    line("sockstat.has_ipv6", host.sockstat.has_ipv6 ? "1" : "0");
  }
  if (host.curr_estab) line("curr_estab", std::to_string(*host.curr_estab));
  for (const auto& f : kTunables) {
    if (const auto& v = host.tunables.*f.field) {
      line(std::string("tunable.") + f.key, std::to_string(*v));
    }
  }
  if (const auto& m = host.tunables.tcp_mem) {
    line("tunable.tcp_mem",
         std::to_string((*m)[0]) + " " + std::to_string((*m)[1]) + " " + std::to_string((*m)[2]));
  }
  if (const auto& r = host.tunables.ip_local_port_range) {
    line("tunable.ip_local_port_range", std::to_string((*r)[0]) + " " + std::to_string((*r)[1]));
  }
  for (const auto& [index, name] : ifnames) line("ifname", std::to_string(index) + " " + name);
  return out;
}

Status decode_host_record(std::string_view payload, RecordedHost& out) {
  TCPSCOPE_TRY(check_text(payload, "host data"));
  out = RecordedHost{};
  size_t start = 0;
  int lineno = 0;
  while (start < payload.size()) {
    size_t nl = payload.find('\n', start);
    if (nl == std::string_view::npos) nl = payload.size();
    const std::string_view line = payload.substr(start, nl - start);
    start = nl + 1;
    ++lineno;
    const auto w = words(line);
    if (w.empty()) continue;
    auto bad = [&] {
      return fail(Error::malformed("host data line " + std::to_string(lineno) + ": bad value \"" +
                                   escape_excerpt(line, 48) + "\""));
    };
    const std::string_view key = w[0];
    if (key.starts_with("sockstat.")) {
      const std::string_view name = key.substr(9);
      if (w.size() != 2) return bad();
      if (name == "has_ipv6") {
        out.host.sockstat.has_ipv6 = w[1] == "1";
        out.host.has_sockstat = true;
        continue;
      }
      for (const auto& f : kSockStat) {
        if (name != f.key) continue;
        if (!parse_number(w[1], out.host.sockstat.*f.field)) return bad();
        out.host.has_sockstat = true;
      }
    } else if (key == "curr_estab") {
      uint64_t v = 0;
      if (w.size() != 2 || !parse_number(w[1], v)) return bad();
      out.host.curr_estab = v;
    } else if (key == "tunable.tcp_mem") {
      std::array<int64_t, 3> m{};
      if (w.size() != 4) return bad();
      for (size_t i = 0; i < 3; ++i) {
        if (!parse_number(w[i + 1], m[i])) return bad();
      }
      out.host.tunables.tcp_mem = m;
    } else if (key == "tunable.ip_local_port_range") {
      std::array<int64_t, 2> r{};
      if (w.size() != 3 || !parse_number(w[1], r[0]) || !parse_number(w[2], r[1])) return bad();
      out.host.tunables.ip_local_port_range = r;
    } else if (key.starts_with("tunable.")) {
      const std::string_view name = key.substr(8);
      for (const auto& f : kTunables) {
        if (name != f.key) continue;
        int64_t v = 0;
        if (w.size() != 2 || !parse_number(w[1], v)) return bad();
        out.host.tunables.*f.field = v;
      }
    } else if (key == "ifname") {
      uint32_t index = 0;
      if (w.size() != 3 || !parse_number(w[1], index) || w[2].size() >= IF_NAMESIZE) return bad();
      out.ifnames[index] = std::string(w[2]);
    }
  }
  return {};
}

std::map<uint32_t, std::string> current_ifnames() {
  std::map<uint32_t, std::string> out;
  if (struct if_nameindex* list = ::if_nameindex()) {
    for (auto* i = list; i->if_index != 0 || i->if_name != nullptr; ++i) {
      out[i->if_index] = i->if_name;
    }
    ::if_freenameindex(list);
  }
  return out;
}

}  // namespace tcpscope::source
