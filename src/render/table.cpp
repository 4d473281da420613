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

constexpr std::array<std::string_view, kColumnCount> kHeaders = {
    "Netid", "State", "Recv-Q", "Send-Q", "Local Address:", "Port", "Peer Address:", "Port"};
constexpr std::array<bool, kColumnCount> kRightAligned = {false, false, false, false,
                                                          true,  false, true,  false};
constexpr std::array<uint8_t, kColumnCount> kDelimiter = {0, 1, 1, 1, 1, 0, 1, 0};
}  // namespace

TableWriter::TableWriter(FILE* out, TableLayout layout) : out_(out), layout_(layout) {
  text_.reserve(1 << 20);
  rows_.reserve(1024);
}

TableWriter::~TableWriter() { flush(); }

void TableWriter::begin_row() {
  cur_ = Row{};
  mark_ = static_cast<uint32_t>(text_.size());
}

void TableWriter::end_cell(Column c) {
  cur_.start[c] = mark_;
  cur_.end[c] = static_cast<uint32_t>(text_.size());
  mark_ = cur_.end[c];
}

void TableWriter::end_details() {
  cur_.start[kColumnCount] = mark_;
  cur_.end[kColumnCount] = static_cast<uint32_t>(text_.size());
  mark_ = cur_.end[kColumnCount];
}

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
  // per chunk, not per row. Each row is sized first and then filled with memcpy/memset, one
  // buffer resize per row.
  constexpr size_t kOutChunk = 256 * 1024;
  auto emit = [&](auto cell_text, std::string_view details, bool header_row) {
    // Pad the last column only when more text follows on this line (not before the -i/-m
    // "\n\t" block).
    const bool more =
        (!details.empty() && details.front() != '\n') || (header_row && layout_.process_header);
    std::array<std::string_view, kColumnCount> cells;
    std::array<size_t, kColumnCount> before{};  // spaces before the text
    std::array<size_t, kColumnCount> after{};   // spaces after it
    size_t total = details.size() + 1;
    for (int c = first; c < kColumnCount; ++c) {
      if (!visible[c]) continue;
      cells[c] = cell_text(c);
      const size_t delim = c == first ? 0 : kDelimiter[c];
      const size_t pad = width[c] > cells[c].size() ? width[c] - cells[c].size() : 0;
      if (kRightAligned[c]) {
        before[c] = delim + pad;
      } else {
        before[c] = delim;
        after[c] = (c != kColPeerPort || more) ? pad : 0;
      }
      total += before[c] + cells[c].size() + after[c];
    }
    const std::string_view process =
        header_row && layout_.process_header ? std::string_view("Process") : std::string_view();
    total += process.size();
    const size_t start = out_buf_.size();
    out_buf_.resize(start + total + kSlack);
    char* p = out_buf_.data() + start;
    for (int c = first; c < kColumnCount; ++c) {
      if (!visible[c]) continue;
      p = fill_spaces(p, before[c]);
      p = copy_bytes(p, cells[c], header_row);  // header cells are literals: no slack
      p = fill_spaces(p, after[c]);
    }
    p = copy_bytes(p, process, true);
    p = copy_bytes(p, details);
    *p = '\n';
    out_buf_.resize(start + total);
    if (out_buf_.size() >= kOutChunk) write_out();
  };

  if (print_header) {
    emit([](int c) { return kHeaders[c]; }, std::string_view(), true);
    header_done_ = true;
  }
  for (const Row& r : rows_) {
    std::string_view details(text_.data() + r.start[kColumnCount],
                             r.end[kColumnCount] - r.start[kColumnCount]);
    emit([&](int c) { return std::string_view(text_.data() + r.start[c], r.end[c] - r.start[c]); },
         details, false);
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
