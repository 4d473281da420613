// Output of `sockets`: one visitor per format, each streaming as sockets arrive.
#pragma once

#include <memory>

#include "cli/commands.hpp"
#include "model/dump.hpp"
#include "model/names.hpp"
#include "source/process_map.hpp"

namespace tcpscope::cli {

class Printer : public model::SocketVisitor {
 public:
  // Writes what is buffered and closes the output's framing; false if writing failed.
  virtual bool finish() = 0;
};

// A JSON array with one object per socket and line (valid JSON, and line-oriented for grep).
std::unique_ptr<Printer> make_json_printer(const SocketsOptions& o, model::NameLookup* names,
                                           const source::ProcessMap* procs);
std::unique_ptr<Printer> make_csv_printer(const SocketsOptions& o, model::NameLookup* names,
                                          const source::ProcessMap* procs);

}  // namespace tcpscope::cli
