// SPDX-License-Identifier: MIT
#include "procfs/sockstat.hpp"

#include <cerrno>

#include "base/file.hpp"
#include "procfs/text.hpp"

namespace tcpscope::procfs {

namespace {

struct Key {
  std::string_view section;  // with the colon, as printed
  std::string_view name;
  uint64_t SockStat::*field;
};

constexpr Key kKeys[] = {
    {"sockets:", "used", &SockStat::sockets_used},
    {"TCP:", "inuse", &SockStat::tcp_inuse},
    {"TCP:", "orphan", &SockStat::tcp_orphan},
    {"TCP:", "tw", &SockStat::tcp_tw},
    {"TCP:", "alloc", &SockStat::tcp_alloc},
    {"TCP:", "mem", &SockStat::tcp_mem},
    {"UDP:", "inuse", &SockStat::udp_inuse},
    {"UDP:", "mem", &SockStat::udp_mem},
    {"UDPLITE:", "inuse", &SockStat::udplite_inuse},
    {"RAW:", "inuse", &SockStat::raw_inuse},
    {"FRAG:", "inuse", &SockStat::frag_inuse},
    {"FRAG:", "memory", &SockStat::frag_memory},
    {"TCP6:", "inuse", &SockStat::tcp6_inuse},
    {"UDP6:", "inuse", &SockStat::udp6_inuse},
    {"UDPLITE6:", "inuse", &SockStat::udplite6_inuse},
    {"RAW6:", "inuse", &SockStat::raw6_inuse},
    {"FRAG6:", "inuse", &SockStat::frag6_inuse},
    {"FRAG6:", "memory", &SockStat::frag6_memory},
};

bool known_section(std::string_view section) {
  for (const Key& k : kKeys) {
    if (k.section == section) return true;
  }
  return false;
}

uint64_t SockStat::*find_key(std::string_view section, std::string_view name) {
  for (const Key& k : kKeys) {
    if (k.section == section && k.name == name) return k.field;
  }
  return nullptr;
}

// The kernel prints these with %d / %ld: accept a sign, read negatives as 0.
std::optional<uint64_t> parse_gauge(std::string_view tok) {
  if (!tok.empty() && tok.front() == '-') {
    if (!parse_u64(tok.substr(1))) return std::nullopt;
    return 0;
  }
  return parse_u64(tok);
}

Error bad_line(std::string_view what, std::string_view line) {
  std::string m("malformed sockstat line: ");
  m.append(what).append(": ").append(quote(line));
  return Error::malformed(std::move(m));
}

}  // namespace

Status parse_sockstat(std::string_view content, SockStat& out) {
  std::string_view line;
  while (next_line(content, line)) {
    std::string_view rest = line;
    const std::string_view section = next_token(rest);
    if (section.empty() || !known_section(section)) continue;
    if (section.size() > 2 && section[section.size() - 2] == '6') out.has_ipv6 = true;
    for (;;) {
      const std::string_view name = next_token(rest);
      if (name.empty()) break;
      const std::string_view value = next_token(rest);
      if (value.empty()) return fail(bad_line("key without a value", line));
      auto v = parse_gauge(value);
      if (!v) return fail(bad_line("bad number", line));
      if (uint64_t SockStat::*field = find_key(section, name)) out.*field = *v;
    }
  }
  return {};
}

Result<SockStat> read_sockstat(std::string_view proc_root, std::string& buffer) {
  SockStat out;
  std::string path(proc_root);
  path.append("/net/sockstat");
  if (auto st = read_file(path.c_str(), buffer); !st) return fail(std::move(st.error()));
  if (auto st = parse_sockstat(buffer, out); !st) return fail(std::move(st.error()).context(path));
  path.append("6");
  if (auto st = read_file(path.c_str(), buffer); !st) {
    if (st.error().err() == ENOENT) return out;  // no IPv6 in this kernel
    return fail(std::move(st.error()));
  }
  if (auto st = parse_sockstat(buffer, out); !st) return fail(std::move(st.error()).context(path));
  return out;
}

Result<SockStat> SockStatReader::read(std::string& buffer) {
  if (!opened_) {
    auto v4 = RereadFile::open(proc_root_ + "/net/sockstat");
    if (!v4) return fail(std::move(v4.error()));
    v4_ = std::move(*v4);
    if (auto v6 = RereadFile::open(proc_root_ + "/net/sockstat6")) {
      v6_ = std::move(*v6);
    } else if (v6.error().err() != ENOENT) {
      return fail(std::move(v6.error()));
    }
    opened_ = true;
  }
  SockStat out;
  for (const RereadFile* f : {&v4_, &v6_}) {
    if (!f->is_open()) continue;
    if (auto st = f->read(buffer); !st) return fail(std::move(st.error()));
    if (auto st = parse_sockstat(buffer, out); !st) {
      return fail(std::move(st.error()).context(f->path()));
    }
  }
  return out;
}

}  // namespace tcpscope::procfs
