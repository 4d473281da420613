// SPDX-License-Identifier: MIT
// `sockets` output: one printer per format (ss's table, JSON, CSV), each a SocketVisitor that
// streams as sockets arrive into a reused buffer and writes to a FILE*.
//
//   auto p = render::make_socket_printer(opts, stdout, {&names, owners, hosts});
//   source->dump(request, *p);
//   if (!p->finish()) ...   // a write failed
#pragma once

#include <cstdio>
#include <memory>

#include "model/dump.hpp"
#include "model/names.hpp"
#include "render/details.hpp"
#include "render/table.hpp"

namespace tcpscope::render {

enum class SocketFormat : uint8_t { kTable, kJson, kCsv };

struct SocketOutput {
  SocketFormat format = SocketFormat::kTable;
  TableLayout layout;     // kTable
  DetailOptions details;  // kTable: the detail items (-i -m -e -o ...)
  bool numeric = false;   // -n: port numbers, not service names
  bool header = true;     // kCsv: the header row
};

// What the printers may look up; each may be null (ownerless: no processes; hostless: no -r).
struct SocketLookups {
  model::NameLookup* names = nullptr;
  const model::OwnerLookup* owners = nullptr;
  model::HostLookup* hosts = nullptr;
};

class SocketPrinter : public model::SocketVisitor {
 public:
  // Writes what is buffered and closes the output's framing; false if writing failed.
  virtual bool finish() = 0;
};

std::unique_ptr<SocketPrinter> make_socket_printer(const SocketOutput& o, FILE* out,
                                                   SocketLookups lookups);

}  // namespace tcpscope::render
