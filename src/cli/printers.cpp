#include "cli/printers.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "render/csv.hpp"
#include "render/json.hpp"

namespace tcpscope::cli {

namespace {

constexpr size_t kFlushBytes = 1 << 20;

class BufferedPrinter : public Printer {
 protected:
  bool write_out() {
    if (!buf_.size()) return ok_;
    if (std::fwrite(buf_.data(), 1, buf_.size(), stdout) != buf_.size()) ok_ = false;
    buf_.clear();
    return ok_;
  }
  void maybe_flush() {
    if (buf_.size() >= kFlushBytes) write_out();
  }
  fmt::memory_buffer buf_;
  bool ok_ = true;
};

void append_users_json(fmt::memory_buffer& b, const source::ProcessMap& procs, uint32_t inode) {
  auto out = std::back_inserter(b);
  fmt::format_to(out, ",\"processes\":[");
  bool first = true;
  for (const auto& o : procs.owners(inode)) {
    fmt::format_to(out, "{}{{\"name\":", first ? "" : ",");
    render::append_json_string(b, procs.name(o));
    fmt::format_to(out, ",\"pid\":{},\"fd\":{}}}", o.pid, o.fd);
    first = false;
  }
  b.push_back(']');
}

class JsonPrinter final : public BufferedPrinter {
 public:
  JsonPrinter(model::NameLookup* names, const source::ProcessMap* procs)
      : names_(names), procs_(procs) {
    buf_.append(std::string_view("["));
  }
  void on_socket(const model::SocketRecord& r) override {
    buf_.append(std::string_view(first_ ? "\n" : ",\n"));
    first_ = false;
    render::append_json(buf_, r, names_);
    if (procs_ != nullptr && r.inode != 0 && buf_.size() > 0 &&
        buf_.data()[buf_.size() - 1] == '}') {
      buf_.resize(buf_.size() - 1);
      append_users_json(buf_, *procs_, r.inode);
      buf_.push_back('}');
    }
    maybe_flush();
  }
  bool finish() override {
    buf_.append(std::string_view(first_ ? "]\n" : "\n]\n"));
    write_out();
    return std::fflush(stdout) == 0 && ok_;
  }

 private:
  model::NameLookup* names_;
  const source::ProcessMap* procs_;
  bool first_ = true;
};

class CsvPrinter final : public BufferedPrinter {
 public:
  CsvPrinter(bool header, model::NameLookup* names) : names_(names) {
    if (header) render::append_csv_header(buf_);
  }
  void on_socket(const model::SocketRecord& r) override {
    render::append_csv_row(buf_, r, names_);
    maybe_flush();
  }
  bool finish() override {
    write_out();
    return std::fflush(stdout) == 0 && ok_;
  }

 private:
  model::NameLookup* names_;
};

}  // namespace

std::unique_ptr<Printer> make_json_printer(const SocketsOptions& /*o*/, model::NameLookup* names,
                                           const source::ProcessMap* procs) {
  return std::make_unique<JsonPrinter>(names, procs);
}

std::unique_ptr<Printer> make_csv_printer(const SocketsOptions& o, model::NameLookup* names,
                                          const source::ProcessMap* /*procs*/) {
  return std::make_unique<CsvPrinter>(!o.no_header, names);
}

}  // namespace tcpscope::cli
