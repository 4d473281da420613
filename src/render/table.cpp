#include "render/table.hpp"

#include <algorithm>
#include <array>

namespace tcpscope::render {

namespace {
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
    for (const Row& r : rows_) width[c] = std::max<size_t>(width[c], r.end[c] - r.start[c]);
  }
  int first = 0;
  while (first < kColumnCount && !visible[first]) ++first;

  auto emit = [&](auto cell_text, std::string_view details, bool header_row) {
    line_.clear();
    for (int c = first; c < kColumnCount; ++c) {
      if (!visible[c]) continue;
      std::string_view t = cell_text(c);
      const size_t delim = c == first ? 0 : kDelimiter[c];
      const size_t pad = width[c] > t.size() ? width[c] - t.size() : 0;
      line_.append(delim, ' ');
      if (kRightAligned[c]) {
        line_.append(pad, ' ');
        line_.append(t);
      } else {
        line_.append(t);
        // The last column is padded only when something follows it.
        // Pad only when more text follows on this line (not before the -i/-m "\n\t" block).
        const bool more =
            (!details.empty() && details.front() != '\n') || (header_row && layout_.process_header);
        if (c != kColPeerPort || more) line_.append(pad, ' ');
      }
    }
    if (header_row && layout_.process_header) line_.append("Process");
    line_.append(details);
    line_.push_back('\n');
    if (std::fwrite(line_.data(), 1, line_.size(), out_) != line_.size()) failed_ = true;
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
}

}  // namespace tcpscope::render
