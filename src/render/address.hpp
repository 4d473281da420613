// SPDX-License-Identifier: MIT
// Address and port text of a socket, as ss prints it and in plain
// form for JSON/CSV.
//
// Everything appends to the caller's fmt::memory_buffer and allocates nothing of its own; names
// (interfaces, services) come from a model::NameLookup, so this code does no I/O. Pass nullptr
// for no lookups: interfaces then print as ifN and ports as numbers.
//
// ss prints an endpoint in two columns, the address token ending in ':' (right-aligned under
// "Local Address:") and the port token (left-aligned under "Port"); the table renderer pads
// each. Common mistake: bracketing or starring the plain form; JSON and CSV want "::" and
// "::ffff:1.2.3.4" as inet_ntop prints them, with the port in its own field.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>

#include "model/census.hpp"
#include "model/names.hpp"
#include "model/socket_record.hpp"

namespace tcpscope::render {

enum class Side : uint8_t { kLocal, kPeer };

// The ss address token: "127.0.0.1:", "[::1]:", "[::ffff:127.0.0.1]:", "*:" (IPv6 :: on a
// socket that is not v6only), "[::]:" (v6only), "127.0.0.53%lo:" (local side of a socket bound
// to a device; the name from `names`, else "if<N>").
void append_address_token(fmt::memory_buffer& out, const model::SocketRecord& rec, Side side,
                          model::NameLookup* names);

// The ss port token: "*" for port 0, the number with `numeric` (-n) or when `names` is null or
// has no service name for it, else the service name ("ssh").
void append_port_token(fmt::memory_buffer& out, const model::SocketRecord& rec, Side side,
                       bool numeric, model::NameLookup* names);

// Both tokens joined, as ss's two columns read together: "[::1]:22", "*:*", "0.0.0.0:ssh".
void append_endpoint(fmt::memory_buffer& out, const model::SocketRecord& rec, Side side,
                     bool numeric, model::NameLookup* names);

// The address alone, exactly as inet_ntop(3) prints it: "0.0.0.0", "::", "::ffff:1.2.3.4",
// "fe80::1". AF_INET uses the first 4 bytes; any other family is read as IPv6. For JSON/CSV.
void append_plain_address(fmt::memory_buffer& out, uint8_t family,
                          const std::array<uint8_t, 16>& addr);

// A listener's name as ss prints it read as one word: "127.0.0.1:8080", "[::]:443", and with
// the device it is bound to, "127.0.0.1%lo:8080", "[::]%eth0:443". IPv6 addresses are always
// bracketed (summary's and the doctor's form; ss's "*" for a dual-stack wildcard is not used).
void append_listener_name(fmt::memory_buffer& out, const model::ListenerInfo& l);

// An interface's name from `names`, or "if<N>" when it has none (or `names` is null).
void append_ifname(fmt::memory_buffer& out, uint32_t ifindex, model::NameLookup* names);

// A socket in one line for messages: "tcp 127.0.0.1:5000 -> 127.0.0.1:40000",
// "udp [::1]:53", "raw 0.0.0.0:1".
void append_socket_name(fmt::memory_buffer& out, const model::SocketRecord& rec);

// Longest text append_plain_address can produce ("ffff:ffff:...:255.255.255.255" is 45).
inline constexpr size_t kMaxPlainAddressLen = 45;

}  // namespace tcpscope::render
