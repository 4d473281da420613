// SPDX-License-Identifier: MIT
#include "render/table.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace tcpscope::render {

namespace {
// Cells and padding are a few bytes long. Both are written in fixed 16-byte chunks (which the
// compiler turns into single vector stores) instead of calls into libc's memcpy/memset; the
// destination has kSlack spare bytes and the source buffer kSlack readable bytes past its end,
// and whatever a chunk writes past the wanted length is overwritten or cut off afterwards.
constexpr size_t kSlack = 16;
constexpr char kSpaces[kSlack + 1] = "                ";
inline char* fill_spaces(char* p, size_t n) {
  for (size_t i = 0; i < n; i += kSlack) std::memcpy(p + i, kSpaces, kSlack);
  return p + n;
}
// `s` must have kSlack readable bytes past its end unless `exact`.
inline char* copy_bytes(char* p, std::string_view s, bool exact = false) {
  if (s.empty()) return p;  // data() may be null
  if (exact || s.size() > 4 * kSlack) {
    std::memcpy(p, s.data(), s.size());
  } else {
    for (size_t i = 0; i < s.size(); i += kSlack) std::memcpy(p + i, s.data() + i, kSlack);
  }
  return p + s.size();
}

template <size_t N>
void put_literal(fmt::memory_buffer& out, const char (&s)[N]) {
  out.append(s, s + N - 1);
}

constexpr std::array<std::string_view, kColumnCount> kHeaders = {
    "Netid", "State", "Recv-Q", "Send-Q", "Local Address:", "Port", "Peer Address:", "Port"};
constexpr std::array<bool, kColumnCount> kRightAligned = {false, false, false, false,
                                                          true,  false, true,  false};
constexpr std::array<uint8_t, kColumnCount> kDelimiter = {0, 1, 1, 1, 1, 0, 1, 0};
}  // namespace

TableWriter::TableWriter(FILE* out, TableLayout layout) : out_(out), layout_(layout) {
  // Room for a whole batch up front: growing these by copying cost as much as a tenth of the
  // rendering. Pages that a short table never touches cost nothing.
  text_.reserve(kBatchBytes + (64u << 10));
  rows_.reserve(kBatchRows);
}

TableWriter::~TableWriter() { flush(); }

void TableWriter::end_row() {
  for (int c = 0; c < kColumnCount; ++c) {
    max_len_[c] = std::max(max_len_[c], cur_.end[c] - cur_.start[c]);
  }
  rows_.push_back(cur_);
  if (rows_.size() >= kBatchRows || text_.size() >= kBatchBytes) write_batch();
}

bool TableWriter::flush() {
  write_batch();
  if (std::fflush(out_) != 0) failed_ = true;
  return !failed_;
}

void TableWriter::write_batch() {
  const bool print_header = layout_.header && !header_done_;
  if (rows_.empty() && !print_header) return;
  std::array<bool, kColumnCount> visible{};
  visible.fill(true);
  visible[kColNetid] = layout_.show_netid;
  visible[kColState] = layout_.show_state;

  std::array<size_t, kColumnCount> width{};
  for (int c = 0; c < kColumnCount; ++c) {
    if (!visible[c]) continue;
    if (print_header) width[c] = kHeaders[c].size();
    // ss prints queues with %-6d: at least six wide, header or not.
    if (c == kColRecvQ || c == kColSendQ) width[c] = std::max<size_t>(width[c], 6);
    width[c] = std::max<size_t>(width[c], max_len_[c]);
  }
  int first = 0;
  while (first < kColumnCount && !visible[first]) ++first;
  // copy_bytes may read up to kSlack bytes past a cell: keep them inside the buffer.
  const size_t text_size = text_.size();
  text_.resize(text_size + kSlack);
  text_.resize(text_size);

  // Rows are laid out into one output buffer, written out every kOutChunk bytes: one fwrite
  // per chunk, not per row.
  constexpr size_t kOutChunk = 256 * 1024;

  if (print_header) {
    // Pad the last column only when more text follows on this line.
    const bool more = layout_.process_header;
    for (int c = first; c < kColumnCount; ++c) {
      if (!visible[c]) continue;
      const std::string_view h = kHeaders[c];
      const size_t pad = width[c] - h.size();
      const size_t delim = c == first ? 0 : kDelimiter[c];
      const size_t start = out_buf_.size();
      out_buf_.resize(start + delim + width[c] + kSlack);
      char* p = out_buf_.data() + start;
      if (kRightAligned[c]) p = fill_spaces(p, delim + pad);
      if (!kRightAligned[c]) p = fill_spaces(p, delim);
      p = copy_bytes(p, h, true);  // literals: no slack to read past
      if (!kRightAligned[c] && (c != kColPeerPort || more)) p = fill_spaces(p, pad);
      out_buf_.resize(static_cast<size_t>(p - out_buf_.data()));
    }
    if (layout_.process_header) put_literal(out_buf_, "Process");
    out_buf_.push_back('\n');
    header_done_ = true;
  }

  // The per-batch layout of the visible columns, so that the row loop only copies and pads.
  struct Col {
    uint8_t index;
    bool right;      // right-aligned: padding goes before the text
    bool pad_after;  // left-aligned and not the last column
    uint8_t delim;   // spaces before the column
    uint32_t width;
  };
  std::array<Col, kColumnCount> cols{};
  size_t ncols = 0;
  size_t row_bound = 1;  // the newline; each cell takes at most delim + width
  for (int c = first; c < kColumnCount; ++c) {
    if (!visible[c]) continue;
    const auto delim = static_cast<uint8_t>(c == first ? 0 : kDelimiter[c]);
    cols[ncols++] =
        Col{static_cast<uint8_t>(c), kRightAligned[c], !kRightAligned[c] && c != kColPeerPort,
            delim, static_cast<uint32_t>(width[c])};
    row_bound += delim + width[c];
  }
  const char* text = text_.data();
  for (const Row& r : rows_) {
    const std::string_view details(text + r.start[kColumnCount],
                                   r.end[kColumnCount] - r.start[kColumnCount]);
    // The last column (Port) is padded only when more text follows on the line (not before
    // the -i/-m "\n\t" block).
    const bool more = !details.empty() && details.front() != '\n';
    const size_t start = out_buf_.size();
    out_buf_.resize(start + row_bound + details.size() + kSlack);
    char* p = out_buf_.data() + start;
    for (size_t i = 0; i < ncols; ++i) {
      const Col& col = cols[i];
      const uint32_t len = r.end[col.index] - r.start[col.index];
      const std::string_view cell(text + r.start[col.index], len);
      const uint32_t pad = col.width - len;  // a cell is never wider than its column
      if (col.right) {
        p = fill_spaces(p, col.delim + pad);
        p = copy_bytes(p, cell);
      } else {
        *p = ' ';  // the delimiter, if any; overwritten otherwise
        p += col.delim;
        p = copy_bytes(p, cell);
        if (col.pad_after || more) p = fill_spaces(p, pad);
      }
    }
    p = copy_bytes(p, details);
    *p++ = '\n';
    out_buf_.resize(static_cast<size_t>(p - out_buf_.data()));
    if (out_buf_.size() >= kOutChunk) write_out();
  }
  rows_.clear();
  text_.clear();
  max_len_.fill(0);
  write_out();
}

void TableWriter::write_out() {
  if (out_buf_.size() == 0) return;
  if (std::fwrite(out_buf_.data(), 1, out_buf_.size(), out_) != out_buf_.size()) failed_ = true;
  out_buf_.clear();
}

}  // namespace tcpscope::render
