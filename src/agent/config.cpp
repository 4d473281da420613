// SPDX-License-Identifier: MIT
#include "agent/config.hpp"

// toml++ header-only and without exceptions, in this file only: errors come back as values
// (style: third-party parsers in no-throw modes), and no shared library is needed.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>

#include "base/duration.hpp"
#include "base/file.hpp"

namespace tcpscope::agent {

namespace {

constexpr std::string_view kNone = "none";

constexpr ConfigKey kKeys[] = {
    {"interval", "string (a duration)", "\"10s\"", "--interval",
     "Full collection: every TCP state and UDP of each namespace, the listeners, counters and "
     "tunables, and the doctor's rules. From 100ms to 24h."},
    {"listener_interval", "string (a duration)", "the interval", "--listener-interval",
     "Listener-only ticks in between (the listeners' queues, counters, tunables); must divide "
     "`interval`. Equal to it: no listener ticks."},
    {"netns", "array of strings", "the agent's own namespace", "--netns",
     "Namespaces to follow: `all` (the own namespace, labelled `host`, the bind mounts under "
     "/var/run/netns and /var/run/docker/netns and the namespaces of running processes, each "
     "once, found again on full ticks), `host`, a name under /var/run/netns, or a path "
     "(labelled with the path)."},
    {"max_listeners", "integer", "100", "--max-listeners",
     "Listeners exported per namespace, largest accept queue first; the rest are counted in "
     "`tcpscope_listeners_dropped`."},
    {"counters", "array of strings", "[]", "--counters",
     "nstat globs of kernel counters to export beyond the default set, case-insensitive "
     "(`TcpExtTCPFastOpen*`)."},
    {"log_level", "string", "\"info\"", "--log-level", "`debug`, `info`, `warn` or `error`."},
    {"statsd.address", "string", "\"127.0.0.1:8125\"", "--statsd",
     "The statsd server, HOST:PORT; `none` or `\"\"` turns statsd off."},
    {"statsd.mtu", "integer", "1432", "--statsd-mtu",
     "Largest datagram in bytes (64 to 65507); lines are never split."},
    {"statsd.prefix", "string", "\"tcpscope\"", "--prefix",
     "First path element of every statsd name: letters, digits, `_`, `-` and `.`."},
    {"statsd.tags", "boolean", "false", "--statsd-tags",
     "DogStatsD tags instead of Graphite paths."},
    {"prometheus.listen", "string", "off", "--prometheus",
     "Serve `GET /metrics` on [ADDRESS:]PORT; a port alone binds 127.0.0.1, `[::1]:9473` is "
     "IPv6."},
    {"jsonl.path", "string", "off", "--jsonl",
     "Append one JSON object per tick to this file; `-` is standard output."},
    {"closes.enabled", "boolean", "true", "",
     "Count closed connections from the kernel's destroy events; false: no subscription, none "
     "of their metrics."},
    {"closes.max_ports", "integer", "32", "",
     "Ports per namespace and direction with series of their own (0 to 65536); the others are "
     "summed under `port=\"other\"`."},
    {"closes.statsd_rtt_max_per_interval", "integer", "1000", "",
     "RTT timers sent to statsd per namespace, direction and tick (0 to 100000); beyond it a "
     "uniform sample of that many, sent with `|@rate`."},
    {"closes.receive_buffer", "integer", "8388608", "",
     "Bytes of kernel buffer per namespace for events not yet read (64 KiB to 1 GiB)."},
    {"census.cpu", "number or string", "0.015", "--census-cpu",
     "The share of one core the census walks of namespaces on the host's established hash may "
     "take: `0.015` or `\"1.5%\"` (0.0001 to 1)."},
    {"census.max_age", "string (a duration)", "\"1h\"", "--census-max-age",
     "No census older than this: a namespace whose census would be is walked whatever the "
     "budget; at least `interval`."},
    {"doctor.NAME", "number", "the doctor's", "--threshold NAME=VALUE",
     "A threshold of the doctor's rules, by the names `tcpscope doctor --list-thresholds` "
     "prints (`accept-queue-fill = 90`)."},
};

// The keys of the table `prefix` ("" for the top level, "statsd."): the part after the prefix
// and up to the next dot.
std::vector<std::string_view> keys_of(std::string_view prefix) {
  std::vector<std::string_view> out;
  for (const auto& k : kKeys) {
    if (!k.key.starts_with(prefix)) continue;
    std::string_view rest = k.key.substr(prefix.size());
    rest = rest.substr(0, rest.find('.'));
    if (std::find(out.begin(), out.end(), rest) == out.end()) out.push_back(rest);
  }
  return out;
}

std::string where(std::string_view origin, const toml::node& n) {
  const auto& src = n.source();
  return std::string(origin) + ":" + std::to_string(src.begin.line);
}

Status set_interval(std::string_view key, std::string_view text, int64_t& out) {
  auto d = duration_flag(key, text, 100'000'000);
  if (!d) return fail(std::move(d.error()));
  out = *d;
  return {};
}

Status set_statsd(std::string_view key, std::string_view text, AgentConfig& c) {
  if (text.empty() || text == kNone) {
    c.statsd.reset();
    return {};
  }
  auto e = parse_endpoint(text, "127.0.0.1");
  if (!e) return fail(std::move(e.error()).context(key));
  c.statsd = *e;
  return {};
}

Status set_prometheus(std::string_view key, std::string_view text, AgentConfig& c) {
  if (text.empty() || text == kNone) {
    c.prometheus.reset();
    return {};
  }
  auto e = parse_endpoint(text, "127.0.0.1");
  if (!e) return fail(std::move(e.error()).context(key));
  c.prometheus = *e;
  return {};
}

Status set_mtu(std::string_view key, int64_t v, AgentConfig& c) {
  if (v < 64 || v > 65507) {
    return fail(Error::usage(std::string(key) + " " + std::to_string(v) +
                             " is out of range (64 to 65507 bytes)"));
  }
  c.statsd_mtu = static_cast<uint32_t>(v);
  return {};
}

Status set_max_listeners(std::string_view key, int64_t v, AgentConfig& c) {
  if (v < 0 || v > 1'000'000) {
    return fail(Error::usage(std::string(key) + " " + std::to_string(v) +
                             " is out of range (0 to 1000000)"));
  }
  c.max_listeners = static_cast<uint32_t>(v);
  return {};
}

Status set_range(std::string_view key, int64_t v, int64_t lo, int64_t hi, int64_t& out) {
  if (v < lo || v > hi) {
    return fail(Error::usage(std::string(key) + " " + std::to_string(v) + " is out of range (" +
                             std::to_string(lo) + " to " + std::to_string(hi) + ")"));
  }
  out = v;
  return {};
}

// A share of one core: "0.02" or "2%", from 0.0001 to 1 (100 %).
Status set_cpu_share(std::string_view key, std::string_view text, double& out) {
  std::string_view t = text;
  double scale = 1;
  if (t.ends_with('%')) {
    t.remove_suffix(1);
    scale = 100;
  }
  double v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || t.empty()) {
    return fail(Error::usage(std::string(key) + " \"" + std::string(text) +
                             "\" is not a share of one core (0.02 or 2%)"));
  }
  v /= scale;
  if (!(v >= 0.0001 && v <= 1)) {
    return fail(Error::usage(std::string(key) + " \"" + std::string(text) +
                             "\" is out of range (0.0001 to 1, 0.01% to 100%)"));
  }
  out = v;
  return {};
}

Status set_level(std::string_view key, std::string_view text, AgentConfig& c) {
  auto l = parse_log_level(text);
  if (!l) {
    return fail(Error::usage(std::string(key) + " \"" + std::string(text) +
                             "\" is not one of debug, info, warn, error"));
  }
  c.log_level = *l;
  return {};
}

Status check_prefix(std::string_view key, std::string_view p) {
  for (char ch : p) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
    if (!ok) {
      return fail(Error::usage(std::string(key) + " \"" + std::string(p) +
                               "\" may hold only letters, digits, '_', '-' and '.'"));
    }
  }
  return {};
}

// Typed access with errors that name the key and the line.
class Table {
 public:
  Table(const toml::table& t, std::string_view origin, std::string prefix)
      : t_(t), origin_(origin), prefix_(std::move(prefix)) {}

  // Every key of the table is in the catalog (kKeys).
  Status check_keys() const {
    const auto known = keys_of(prefix_);
    for (const auto& [k, v] : t_) {
      bool ok = false;
      for (auto n : known) ok = ok || k.str() == n;
      if (!ok) {
        return fail(Error::usage(where(origin_, v) + ": unknown key \"" + prefix_ +
                                 std::string(k.str()) + "\""));
      }
    }
    return {};
  }

  Result<std::optional<std::string>> string(std::string_view key) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::optional<std::string>{};
    if (auto s = n->value<std::string>()) return std::optional<std::string>(*s);
    return fail(type_error(*n, key, "a string"));
  }
  Result<std::optional<int64_t>> integer(std::string_view key) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::optional<int64_t>{};
    if (n->is_integer()) return std::optional<int64_t>(n->as_integer()->get());
    return fail(type_error(*n, key, "an integer"));
  }
  Result<std::optional<bool>> boolean(std::string_view key) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::optional<bool>{};
    if (n->is_boolean()) return std::optional<bool>(n->as_boolean()->get());
    return fail(type_error(*n, key, "true or false"));
  }
  Result<std::optional<std::vector<std::string>>> strings(std::string_view key) const {
    const toml::node* n = t_.get(key);
    if (!n) return std::optional<std::vector<std::string>>{};
    const toml::array* a = n->as_array();
    if (!a) return fail(type_error(*n, key, "an array of strings"));
    std::vector<std::string> out;
    for (const auto& e : *a) {
      auto s = e.value<std::string>();
      if (!s) return fail(type_error(e, key, "an array of strings"));
      out.push_back(*s);
    }
    return std::optional<std::vector<std::string>>(std::move(out));
  }
  const toml::table* sub(std::string_view key, Status& st) const {
    const toml::node* n = t_.get(key);
    if (!n) return nullptr;
    if (!n->is_table()) {
      st = fail(type_error(*n, key, "a table"));
      return nullptr;
    }
    return n->as_table();
  }
  std::string name(std::string_view key) const { return prefix_ + std::string(key); }
  std::string at(std::string_view key) const {
    const toml::node* n = t_.get(key);
    return n ? where(origin_, *n) + ": " : std::string(origin_) + ": ";
  }

 private:
  Error type_error(const toml::node& n, std::string_view key, std::string_view want) const {
    return Error::usage(where(origin_, n) + ": " + prefix_ + std::string(key) + " must be " +
                        std::string(want));
  }
  const toml::table& t_;
  std::string_view origin_;
  std::string prefix_;
};

// Applies `st` with the file position prepended.
Status at(const Table& t, std::string_view key, Status st) {
  if (!st) return fail(Error::usage(t.at(key) + st.error().message()));
  return {};
}

template <typename T>
Status get(Result<std::optional<T>> r, std::optional<T>& out) {
  if (!r) return fail(std::move(r.error()));
  out = std::move(*r);
  return {};
}

// The line of the first byte >= 0x80, if any.
std::optional<size_t> first_non_ascii_line(std::string_view s) {
  size_t line = 1;
  for (char c : s) {
    if (c == '\n') ++line;
    if (static_cast<unsigned char>(c) >= 0x80) return line;
  }
  return std::nullopt;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text, std::string_view default_host) {
  Endpoint e;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(Error::usage("\"" + std::string(text) + "\" is not [ADDRESS]:PORT"));
    }
    e.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    e.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (e.host.find(':') != std::string::npos) {
      return fail(Error::usage("\"" + std::string(text) +
                               "\": write an IPv6 address in brackets, [::1]:PORT"));
    }
  } else if (!default_host.empty()) {
    e.host = std::string(default_host);
    port_text = text;
  } else {
    return fail(Error::usage("\"" + std::string(text) + "\" is not HOST:PORT"));
  }
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535 ||
      e.host.empty()) {
    return fail(Error::usage("\"" + std::string(text) + "\" is not HOST:PORT (port 1 to 65535)"));
  }
  e.port = static_cast<uint16_t>(port);
  return e;
}

std::string format_endpoint(const Endpoint& e) {
  if (e.host.find(':') != std::string::npos) {
    return "[" + e.host + "]:" + std::to_string(e.port);
  }
  return e.host + ":" + std::to_string(e.port);
}

std::span<const ConfigKey> config_keys() { return kKeys; }

Status parse_config_toml(std::string_view content, std::string_view origin, AgentConfig& c) {
  // toml++ 3.3.0 (Debian 12) reaches __builtin_unreachable in its whitespace test
  // (is_non_ascii_horizontal_whitespace) for most non-ASCII characters, which is undefined
  // behaviour; a lexer of our own deciding which ones it would test was not exact enough (the
  // fuzzer found gaps around quote runs). So the file must be ASCII; every key and value the
  // agent takes is (a namespace with another name can be given with --netns).
  if (auto line = first_non_ascii_line(content)) {
    return fail(Error::usage(std::string(origin) + ":" + std::to_string(*line) +
                             ": a non-ASCII character (the file must be ASCII)"));
  }
  toml::parse_result parsed = toml::parse(content, origin);
  if (!parsed) {
    const auto& err = parsed.error();
    return fail(Error::usage(std::string(origin) + ":" + std::to_string(err.source().begin.line) +
                             ": " + std::string(err.description())));
  }
  const toml::table& root = parsed.table();
  Table t(root, origin, "");
  TCPSCOPE_TRY(t.check_keys());
  std::optional<std::string> s;
  std::optional<int64_t> i;
  std::optional<std::vector<std::string>> v;
  bool listener_given = false;
  TCPSCOPE_TRY(get(t.string("interval"), s));
  if (s) TCPSCOPE_TRY(at(t, "interval", set_interval("interval", *s, c.interval_ns)));
  TCPSCOPE_TRY(get(t.string("listener_interval"), s));
  if (s) {
    TCPSCOPE_TRY(
        at(t, "listener_interval", set_interval("listener_interval", *s, c.listener_interval_ns)));
    listener_given = true;
  }
  if (!listener_given) c.listener_interval_ns = c.interval_ns;
  TCPSCOPE_TRY(get(t.strings("netns"), v));
  if (v) c.netns = *v;
  TCPSCOPE_TRY(get(t.integer("max_listeners"), i));
  if (i) TCPSCOPE_TRY(at(t, "max_listeners", set_max_listeners("max_listeners", *i, c)));
  TCPSCOPE_TRY(get(t.strings("counters"), v));
  if (v) c.counters = *v;
  TCPSCOPE_TRY(get(t.string("log_level"), s));
  if (s) TCPSCOPE_TRY(at(t, "log_level", set_level("log_level", *s, c)));

  Status sub_status;
  if (const toml::table* st = t.sub("statsd", sub_status)) {
    Table sd(*st, origin, "statsd.");
    TCPSCOPE_TRY(sd.check_keys());
    TCPSCOPE_TRY(get(sd.string("address"), s));
    if (s) TCPSCOPE_TRY(at(sd, "address", set_statsd("statsd.address", *s, c)));
    TCPSCOPE_TRY(get(sd.integer("mtu"), i));
    if (i) TCPSCOPE_TRY(at(sd, "mtu", set_mtu("statsd.mtu", *i, c)));
    TCPSCOPE_TRY(get(sd.string("prefix"), s));
    if (s) {
      TCPSCOPE_TRY(at(sd, "prefix", check_prefix("statsd.prefix", *s)));
      c.prefix = *s;
    }
    std::optional<bool> b;
    TCPSCOPE_TRY(get(sd.boolean("tags"), b));
    if (b) c.statsd_tags = *b;
  }
  TCPSCOPE_TRY(sub_status);
  if (const toml::table* pt = t.sub("prometheus", sub_status)) {
    Table pr(*pt, origin, "prometheus.");
    TCPSCOPE_TRY(pr.check_keys());
    TCPSCOPE_TRY(get(pr.string("listen"), s));
    if (s) TCPSCOPE_TRY(at(pr, "listen", set_prometheus("prometheus.listen", *s, c)));
  }
  TCPSCOPE_TRY(sub_status);
  if (const toml::table* jt = t.sub("jsonl", sub_status)) {
    Table jl(*jt, origin, "jsonl.");
    TCPSCOPE_TRY(jl.check_keys());
    TCPSCOPE_TRY(get(jl.string("path"), s));
    if (s) c.jsonl = *s;
  }
  TCPSCOPE_TRY(sub_status);
  if (const toml::table* ct = t.sub("closes", sub_status)) {
    Table cl(*ct, origin, "closes.");
    TCPSCOPE_TRY(cl.check_keys());
    std::optional<bool> b;
    TCPSCOPE_TRY(get(cl.boolean("enabled"), b));
    if (b) c.closes.enabled = *b;
    int64_t n = 0;
    TCPSCOPE_TRY(get(cl.integer("max_ports"), i));
    if (i) {
      TCPSCOPE_TRY(at(cl, "max_ports", set_range("closes.max_ports", *i, 0, 65536, n)));
      c.closes.max_ports = static_cast<uint32_t>(n);
    }
    TCPSCOPE_TRY(get(cl.integer("statsd_rtt_max_per_interval"), i));
    if (i) {
      TCPSCOPE_TRY(at(cl, "statsd_rtt_max_per_interval",
                      set_range("closes.statsd_rtt_max_per_interval", *i, 0, 100'000, n)));
      c.closes.statsd_rtt_max_per_interval = static_cast<uint32_t>(n);
    }
    TCPSCOPE_TRY(get(cl.integer("receive_buffer"), i));
    if (i) {
      TCPSCOPE_TRY(
          at(cl, "receive_buffer", set_range("closes.receive_buffer", *i, 64 << 10, 1 << 30, n)));
      c.closes.receive_buffer = n;
    }
  }
  TCPSCOPE_TRY(sub_status);
  if (const toml::table* ct = t.sub("census", sub_status)) {
    Table ce(*ct, origin, "census.");
    TCPSCOPE_TRY(ce.check_keys());
    if (const toml::node* n = ct->get("cpu")) {
      std::string text;
      if (n->is_floating_point()) {
        text = std::to_string(n->as_floating_point()->get());
      } else if (n->is_integer()) {
        text = std::to_string(n->as_integer()->get());
      } else if (auto str = n->value<std::string>()) {
        text = *str;
      } else {
        return fail(Error::usage(where(origin, *n) + ": census.cpu must be a number or \"N%\""));
      }
      TCPSCOPE_TRY(at(ce, "cpu", set_cpu_share("census.cpu", text, c.census.cpu)));
    }
    TCPSCOPE_TRY(get(ce.string("max_age"), s));
    if (s) TCPSCOPE_TRY(at(ce, "max_age", set_interval("census.max_age", *s, c.census.max_age_ns)));
  }
  TCPSCOPE_TRY(sub_status);
  if (const toml::table* dt = t.sub("doctor", sub_status)) {
    for (const auto& [k, node] : *dt) {
      std::string value;
      if (node.is_integer()) {
        value = std::to_string(node.as_integer()->get());
      } else if (node.is_floating_point()) {
        value = std::to_string(node.as_floating_point()->get());
      } else {
        return fail(Error::usage(where(origin, node) + ": doctor." + std::string(k.str()) +
                                 " must be a number"));
      }
      if (auto st = doctor::set_threshold(c.thresholds, k.str(), value); !st) {
        return fail(Error::usage(where(origin, node) + ": doctor." + st.error().message()));
      }
    }
  }
  TCPSCOPE_TRY(sub_status);
  return {};
}

Result<AgentConfig> load_config(const AgentFlags& f) {
  AgentConfig c;
  if (!f.config_file.empty()) {
    std::string content;
    if (auto st = read_file(f.config_file.c_str(), content, kConfigFileLimit); !st) {
      return fail(std::move(st.error()).context("--config"));
    }
    if (auto st = check_text(content, f.config_file); !st) return fail(std::move(st.error()));
    TCPSCOPE_TRY(parse_config_toml(content, f.config_file, c));
    c.config_file = f.config_file;
  }
  if (f.interval) {
    const bool follow = c.listener_interval_ns == c.interval_ns;
    TCPSCOPE_TRY(set_interval("--interval", *f.interval, c.interval_ns));
    if (follow) c.listener_interval_ns = c.interval_ns;
  }
  if (f.listener_interval) {
    TCPSCOPE_TRY(set_interval("--listener-interval", *f.listener_interval, c.listener_interval_ns));
  }
  if (!f.netns.empty()) c.netns = f.netns;
  if (f.max_listeners) TCPSCOPE_TRY(set_max_listeners("--max-listeners", *f.max_listeners, c));
  for (const auto& p : f.counters) c.counters.push_back(p);
  if (f.statsd) TCPSCOPE_TRY(set_statsd("--statsd", *f.statsd, c));
  if (f.statsd_mtu) TCPSCOPE_TRY(set_mtu("--statsd-mtu", *f.statsd_mtu, c));
  if (f.prefix) {
    TCPSCOPE_TRY(check_prefix("--prefix", *f.prefix));
    c.prefix = *f.prefix;
  }
  if (f.statsd_tags) c.statsd_tags = true;
  if (f.prometheus) TCPSCOPE_TRY(set_prometheus("--prometheus", *f.prometheus, c));
  if (f.jsonl) c.jsonl = *f.jsonl;
  for (const auto& a : f.thresholds) {
    if (auto st = doctor::set_threshold(c.thresholds, a); !st) {
      return fail(Error::usage("--threshold: " + st.error().message()));
    }
  }
  if (f.log_level) TCPSCOPE_TRY(set_level("--log-level", *f.log_level, c));
  if (f.census_cpu) TCPSCOPE_TRY(set_cpu_share("--census-cpu", *f.census_cpu, c.census.cpu));
  if (f.census_max_age) {
    TCPSCOPE_TRY(set_interval("--census-max-age", *f.census_max_age, c.census.max_age_ns));
  }

  // Cross-field checks.
  if (c.listener_interval_ns > c.interval_ns || c.interval_ns % c.listener_interval_ns != 0) {
    return fail(Error::usage("the listener interval must divide the interval (e.g. 10s and 2s)"));
  }
  if (c.census.max_age_ns < c.interval_ns) {
    return fail(
        Error::usage("census.max_age must be at least the interval (a census per full "
                     "tick at most)"));
  }
  for (const auto& n : c.netns) {
    if (n.empty()) return fail(Error::usage("netns: an empty name"));
    if (n == "all" && c.netns.size() > 1) {
      return fail(Error::usage("netns: \"all\" already includes every namespace"));
    }
  }
  for (const auto& p : c.counters) {
    if (p.empty()) return fail(Error::usage("counters: an empty pattern"));
  }
  if (c.jsonl.empty() && !c.statsd && !c.prometheus) {
    return fail(Error::usage("nothing to send to: statsd, prometheus and jsonl are all off"));
  }
  return c;
}

}  // namespace tcpscope::agent
