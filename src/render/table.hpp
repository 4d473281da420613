// SPDX-License-Identifier: MIT
// TableWriter: ss's column layout, streamed in bounded batches.
//
// Like ss, column widths come from the longest token of each column (header included unless
// -H) within a batch; a batch is flushed every kBatchRows rows or kBatchBytes of text, so
// memory stays bounded on any table size and alignment may change between batches (as in ss).
// Unlike ss 6.1, rows carry no trailing padding and there is no "Process" header without -p.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace tcpscope::render {

enum Column : uint8_t {
  kColNetid,
  kColState,
  kColRecvQ,
  kColSendQ,
  kColLocalAddr,
  kColLocalPort,
  kColPeerAddr,
  kColPeerPort,
  kColumnCount,
};

struct TableLayout {
  bool show_netid = true;
  bool show_state = true;
  bool header = true;
  bool process_header = false;  // "Process" after the last port (with -p)
};

class TableWriter {
 public:
  static constexpr size_t kBatchRows = 16384;
  static constexpr size_t kBatchBytes = 4u << 20;

  TableWriter(FILE* out, TableLayout layout);
  ~TableWriter();

  // Row building: one begin_row, then append text to cell(c) for each visible column and to
  // details() (free text after the last column: timers, -e fields, the -i/-m block), then
  // end_row.
  void begin_row();
  fmt::memory_buffer& text() { return text_; }  // append the current cell's text here
  void end_cell(Column c);                      // the text appended since the last end_* is cell c
  void end_details();                           // ... is the details text
  void end_row();

  // Writes what is buffered. Returns false if the output failed (e.g. EPIPE).
  bool flush();

 private:
  struct Row {
    uint32_t start[kColumnCount + 1];
    uint32_t end[kColumnCount + 1];  // index kColumnCount = details
  };
  void write_batch();
  void write_out();

  FILE* out_;
  TableLayout layout_;
  bool header_done_ = false;
  bool failed_ = false;
  fmt::memory_buffer text_;
  std::vector<Row> rows_;
  Row cur_{};
  std::array<uint32_t, kColumnCount> max_len_{};  // longest cell per column in this batch
  uint32_t mark_ = 0;
  fmt::memory_buffer out_buf_;
};

// Called for every cell of every row: inline, so that the caller's loop keeps its registers.
inline void TableWriter::begin_row() {
  cur_ = Row{};
  mark_ = static_cast<uint32_t>(text_.size());
}

inline void TableWriter::end_cell(Column c) {
  cur_.start[c] = mark_;
  cur_.end[c] = static_cast<uint32_t>(text_.size());
  mark_ = cur_.end[c];
}

inline void TableWriter::end_details() { end_cell(kColumnCount); }

}  // namespace tcpscope::render
