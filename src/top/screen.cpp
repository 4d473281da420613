// SPDX-License-Identifier: MIT
#include "top/screen.hpp"

#include <curses.h>
#include <langinfo.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <clocale>
#include <csignal>
#include <cstring>
#include <string_view>
#include <vector>

#include "render/append.hpp"
#include "render/doctor_report.hpp"
#include "render/top.hpp"
#include "source/name_cache.hpp"

namespace tcpscope::top {

namespace {

using model::ConnColumn;
using render::ListenerColumn;

volatile sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }

constexpr int kMinWidth = 60;
constexpr int kMinHeight = 16;
constexpr double kIntervals[] = {0.5, 1, 2, 3, 5, 10, 15, 30, 60};

enum Pair : short { kTitle = 1, kOk, kWarn, kCrit, kDim, kSelected, kBar };

// The terminal, in curses mode for the lifetime of this object (restored on every way out).
class Terminal {
 public:
  explicit Terminal(bool want_color) {
    initscr();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    color_ = want_color && has_colors();
    if (color_) {
      start_color();
      use_default_colors();
      init_pair(kTitle, COLOR_BLACK, COLOR_CYAN);
      init_pair(kOk, COLOR_GREEN, -1);
      init_pair(kWarn, COLOR_YELLOW, -1);
      init_pair(kCrit, COLOR_RED, -1);
      init_pair(kDim, COLOR_BLUE, -1);
      init_pair(kSelected, COLOR_BLACK, COLOR_CYAN);
      init_pair(kBar, COLOR_CYAN, -1);
    }
  }
  ~Terminal() { endwin(); }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;
  bool color() const { return color_; }

 private:
  bool color_ = false;
};

struct Column {
  ConnColumn id;
  int width;
};

// Display columns of UTF-8 text (every character here is one column wide).
int columns(std::string_view s) {
  int n = 0;
  for (const char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The first `cols` columns of `s`.
std::string fit(std::string_view s, int cols) {
  size_t bytes = 0;
  for (int n = 0; bytes < s.size() && n < cols; ++n) {
    const auto c = static_cast<unsigned char>(s[bytes]);
    bytes += c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  }
  return std::string(s.substr(0, std::min(bytes, s.size())));
}

class Ui {
 public:
  Ui(Collector& c, const ScreenOptions& o, Terminal& term)
      : c_(c), runner_(c, o.interval_s), o_(o), term_(term) {
    text_.view = o.view;
    text_.services = o.services;
    text_.names = &names_;
    utf8_ = std::string_view(::nl_langinfo(CODESET)) == "UTF-8";
  }

  int run() {
    runner_.start();
    draw();
    for (;;) {
      if (g_signal != 0) break;
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {runner_.notify_fd(), POLLIN, 0}};
      const int n = ::poll(fds, 2, 250);
      if (g_signal != 0) break;
      bool dirty = n == 0;  // the clock in the title, messages expiring
      if (n > 0 && (fds[1].revents & POLLIN) != 0) {
        runner_.drain();
        if (auto s = runner_.latest(); s && !paused_) {
          snap_ = std::move(s);
          dirty = true;
        } else if (s && !snap_) {
          snap_ = std::move(s);
          dirty = true;
        }
      }
      if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        if ((fds[0].revents & (POLLHUP | POLLERR)) != 0 && (fds[0].revents & POLLIN) == 0) break;
        for (int ch = getch(); ch != ERR; ch = getch()) {
          if (!key(ch)) {
            runner_.stop();
            return 0;
          }
          dirty = true;
        }
      }
      if (dirty) draw();
    }
    runner_.stop();
    return 0;
  }

 private:
  // ---- keys ----------------------------------------------------------------------------------
  bool key(int ch) {
    if (prompt_) return prompt_key(ch);
    if (help_ || doctor_) {
      if (ch == 'q' && help_) return false;
      if (ch == 27 || ch == 'h' || ch == '?' || ch == 'd' || ch == 'q' || ch == KEY_ENTER ||
          ch == '\r' || ch == '\n') {
        if (help_ || !(ch == 'h' || ch == '?')) {
          help_ = false;
          doctor_ = false;
          overlay_top_ = 0;
          return true;
        }
      }
      if (ch == KEY_DOWN || ch == 'j') ++overlay_top_;
      if ((ch == KEY_UP || ch == 'k') && overlay_top_ > 0) --overlay_top_;
      if (ch == KEY_NPAGE) overlay_top_ += 10;
      if (ch == KEY_PPAGE) overlay_top_ = overlay_top_ > 10 ? overlay_top_ - 10 : 0;
      if (ch == KEY_RESIZE) return true;
      if (!(ch == 'h' || ch == '?')) return true;
    }
    switch (ch) {
      case 'q':
      case 'Q':
        return false;
      case '\t':
      case KEY_BTAB:
        focus_conns_ = !focus_conns_;
        break;
      case KEY_UP:
      case 'k':
        step(-1);
        break;
      case KEY_DOWN:
      case 'j':
        step(1);
        break;
      case KEY_PPAGE:
        step(-page_);
        break;
      case KEY_NPAGE:
      case ' ':
        step(page_);
        break;
      case KEY_HOME:
        cursor() = 0;
        break;
      case KEY_END:
        cursor() = SIZE_MAX;
        break;
      case '<':
      case ',':
        shift_sort(-1);
        break;
      case '>':
      case '.':
        shift_sort(1);
        break;
      case 'r':
      case 'R':
        text_.view.descending = !text_.view.descending;
        say("order: " + std::string(text_.view.descending ? "descending" : "ascending"));
        break;
      case 'g':
        text_.view.group = static_cast<model::GroupBy>((static_cast<int>(text_.view.group) + 1) %
                                                       static_cast<int>(model::GroupBy::kCount));
        conn_cursor_ = 0;
        say("group by " + std::string(model::group_name(text_.view.group)));
        break;
      case '/':
        prompt_ = true;
        input_ = snap_ ? snap_->filter : std::string();
        break;
      case 'p':
      case 'P':
        paused_ = !paused_;
        runner_.set_paused(paused_);
        if (!paused_) {
          if (auto s = runner_.latest()) snap_ = std::move(s);
        }
        say(paused_ ? "paused (p resumes)" : "resumed");
        break;
      case 'd':
      case 'D':
        doctor_ = true;
        help_ = false;
        overlay_top_ = 0;
        break;
      case 'h':
      case '?':
      case KEY_F(1):
        help_ = !help_;
        doctor_ = false;
        overlay_top_ = 0;
        break;
      case '+':
      case '=':
        step_interval(1);
        break;
      case '-':
      case '_':
        step_interval(-1);
        break;
      case 'n':
      case 'N':
        text_.services = !text_.services;
        say(text_.services ? "ports as service names" : "numeric ports");
        break;
      default:
        break;
    }
    return true;
  }

  bool prompt_key(int ch) {
    if (ch == 27) {
      prompt_ = false;
      return true;
    }
    if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
      prompt_ = false;
      auto f = c_.parse_filter(input_);
      if (!f) {
        say("filter not changed: " + f.error().what(), true);
        return true;
      }
      say(input_.empty() ? "filter cleared" : "filter: " + input_);
      runner_.set_filter(std::move(*f));
      conn_cursor_ = 0;
      return true;
    }
    if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
      if (!input_.empty()) input_.pop_back();
      return true;
    }
    if (ch == 21) {  // ^U
      input_.clear();
      return true;
    }
    if (ch >= 32 && ch < 127 && input_.size() < 512) input_.push_back(static_cast<char>(ch));
    return true;
  }

  size_t& cursor() { return focus_conns_ ? conn_cursor_ : listener_cursor_; }

  void step(int by) {
    size_t& c = cursor();
    if (c == SIZE_MAX) c = last_count() > 0 ? last_count() - 1 : 0;
    if (by < 0) {
      c = c > static_cast<size_t>(-by) ? c - static_cast<size_t>(-by) : 0;
    } else {
      c += static_cast<size_t>(by);
    }
  }
  size_t last_count() const { return focus_conns_ ? conn_count_ : listener_count_; }

  void shift_sort(int by) {
    const int n = static_cast<int>(model::kConnColumnCount);
    int i = static_cast<int>(text_.view.sort);
    i = ((i + by) % n + n) % n;
    text_.view.sort = static_cast<ConnColumn>(i);
    // Numbers read best largest first, names in alphabetical order.
    text_.view.descending = model::column_info(text_.view.sort).numeric;
    say("sort by " + std::string(model::column_info(text_.view.sort).header));
  }

  void step_interval(int dir) {
    double cur = runner_.interval();
    double next = cur;
    if (dir > 0) {
      for (double v : kIntervals) {
        if (v > cur + 1e-9) {
          next = v;
          break;
        }
      }
    } else {
      for (auto it = std::rbegin(kIntervals); it != std::rend(kIntervals); ++it) {
        if (*it < cur - 1e-9) {
          next = *it;
          break;
        }
      }
    }
    runner_.set_interval(next);
    fmt::memory_buffer b;
    fmt::format_to(std::back_inserter(b), "refresh every {}s", next);
    say(std::string(b.data(), b.size()));
  }

  void say(std::string m, bool error = false) {
    message_ = std::move(m);
    message_error_ = error;
    message_until_ = std::chrono::steady_clock::now() + std::chrono::seconds(error ? 8 : 3);
  }

  // ---- drawing -------------------------------------------------------------------------------
  // Writes at most `cols` characters (UTF-8 aware: a sparkline block is one column), so a line
  // never wraps into the next.
  void put(int y, int x, std::string_view s, int cols, attr_t attr = A_NORMAL) {
    if (cols <= 0 || y < 0) return;
    size_t bytes = 0;
    for (int n = 0; bytes < s.size() && n < cols; ++n) {
      const auto c = static_cast<unsigned char>(s[bytes]);
      bytes += c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    }
    bytes = std::min(bytes, s.size());
    if (attr != A_NORMAL) attron(attr);
    mvaddnstr(y, x, s.data(), static_cast<int>(bytes));
    if (attr != A_NORMAL) attroff(attr);
  }
  std::string_view arrow() const {
    if (text_.view.descending) return utf8_ ? "\u2193" : "v";
    return utf8_ ? "\u2191" : "^";
  }
  attr_t color(Pair p) const { return term_.color() ? COLOR_PAIR(p) : A_NORMAL; }
  attr_t severity_attr(model::doctor::Severity s) const {
    switch (s) {
      case model::doctor::Severity::kCritical:
        return color(kCrit) | A_BOLD;
      case model::doctor::Severity::kWarning:
        return color(kWarn) | A_BOLD;
      default:
        return color(kOk);
    }
  }

  void draw() {
    erase();
    int h = 0;
    int w = 0;
    getmaxyx(stdscr, h, w);
    if (w < kMinWidth || h < kMinHeight) {
      fmt::memory_buffer b;
      fmt::format_to(std::back_inserter(b),
                     "terminal too small ({}x{}): enlarge it to at least {}x{} (q quits)", w, h,
                     kMinWidth, kMinHeight);
      put(0, 0, std::string_view(b.data(), b.size()), w);
      refresh();
      return;
    }
    fmt::memory_buffer b;
    if (!snap_) {
      put(0, 0, "tcpscope top: reading the socket table...", w);
      draw_status(h, w);
      refresh();
      return;
    }
    const model::TopSnapshot& s = *snap_;
    int y = 0;
    b.clear();
    render::append_top_title(b, s, runner_.interval(), paused_);
    std::string title(b.data(), b.size());
    title.resize(static_cast<size_t>(w), ' ');
    put(y++, 0, title, w, term_.color() ? color(kTitle) : A_REVERSE);
    b.clear();
    render::append_top_states(b, s);
    put(y++, 0, {b.data(), b.size()}, w);
    b.clear();
    render::append_top_limits(b, s);
    put(y++, 0, {b.data(), b.size()}, w);
    y = draw_counters(y, w, s);
    b.clear();
    render::append_top_doctor(b, s);
    if (s.has_doctor && !s.doctor.findings.empty()) {
      put(y, 0, {b.data(), b.size()}, w, severity_attr(s.doctor.worst()));
      const int x = static_cast<int>(std::min<size_t>(b.size(), static_cast<size_t>(w)));
      put(y, x, "  (d: details)", w - x, color(kDim));
    } else {
      put(y, 0, {b.data(), b.size()}, w, s.has_doctor ? color(kOk) : A_NORMAL);
    }
    ++y;
    const int bottom = h - 1;  // the status line
    const int avail = bottom - y;
    const int want_l = static_cast<int>(s.listeners.size()) + 2;
    const int lh = std::clamp(want_l, 3, std::max(3, avail / 3));
    draw_listeners(y, lh, w, s);
    draw_connections(y + lh, bottom - (y + lh), w, s);
    if (help_) draw_help(h, w);
    if (doctor_) draw_doctor(h, w, s);
    draw_status(h, w);
    refresh();
  }

  void spark(fmt::memory_buffer& b, const std::vector<float>& hist, int width) {
    static constexpr std::string_view kBlocks[] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                                   "\u2585", "\u2586", "\u2587", "\u2588"};
    static constexpr char kAscii[] = {'_', '.', '-', '~', '=', '+', '*', '#'};
    const size_t n = std::min<size_t>(hist.size(), static_cast<size_t>(width));
    float top = 0;
    for (size_t i = hist.size() - n; i < hist.size(); ++i) top = std::max(top, hist[i]);
    for (int i = 0; i < width - static_cast<int>(n); ++i) b.push_back(' ');
    for (size_t i = hist.size() - n; i < hist.size(); ++i) {
      const float v = hist[i];
      int level = 0;
      if (top > 0 && v > 0) level = std::clamp(static_cast<int>(v / top * 7.0F + 0.5F), 1, 7);
      if (v <= 0) {
        b.push_back(' ');
      } else if (utf8_) {
        render::detail::put(b, kBlocks[level]);
      } else {
        b.push_back(kAscii[level]);
      }
    }
  }

  int draw_counters(int y, int w, const model::TopSnapshot& s) {
    constexpr int kCell = 38;
    const int per_line = std::max(1, w / kCell);
    fmt::memory_buffer b;
    for (size_t i = 0; i < model::kTopCounterCount; ++i) {
      const int col = static_cast<int>(i) % per_line;
      const int x = col * kCell;
      b.clear();
      const model::TopCounter& c = s.counters[i];
      render::detail::put(b, model::kTopCounters[i].label);
      while (b.size() < 17) b.push_back(' ');
      fmt::memory_buffer r;
      if (c.has_rate) {
        render::append_count_rate(r, c.rate);
      } else {
        render::detail::put(r, '-');
      }
      for (size_t k = r.size(); k < 7; ++k) b.push_back(' ');
      b.append(r);
      b.push_back(' ');
      attr_t attr = A_NORMAL;
      const bool alarming = i <= 4 || i == 11;  // overflows, drops, cookies, resets
      if (c.has_rate && c.rate > 0 && alarming) attr = color(kWarn) | A_BOLD;
      put(y, x, {b.data(), b.size()}, w - x, attr);
      b.clear();
      spark(b, c.history, kCell - 27);
      put(y, x + 26, {b.data(), b.size()}, w - x - 26, color(kBar));
      if (col == per_line - 1 || i + 1 == model::kTopCounterCount) ++y;
    }
    return y;
  }

  void draw_listeners(int y, int height, int w, const model::TopSnapshot& s) {
    listener_count_ = s.listeners.size();
    fmt::memory_buffer b;
    fmt::format_to(std::back_inserter(b), "LISTENERS {}", s.listeners.size());
    put(y, 0, {b.data(), b.size()}, w, A_BOLD | (focus_conns_ ? A_NORMAL : A_UNDERLINE));
    // Widths: the name column fits the longest name (capped), then the accept-queue bar.
    int name_w = 18;
    int proc_w = 7;
    for (const auto& l : s.listeners) {
      b.clear();
      render::append_listener_cell(b, s, l, ListenerColumn::kLocal);
      name_w = std::max(name_w, static_cast<int>(b.size()));
      b.clear();
      render::append_listener_cell(b, s, l, ListenerColumn::kProcess);
      proc_w = std::max(proc_w, static_cast<int>(b.size()));
    }
    name_w = std::min(name_w, 40);
    proc_w = std::min(proc_w, 20);
    const int bar_w = 12;
    const std::array<int, 7> widths = {name_w, proc_w, 8, 6, 5, 8, 7};
    const int rows = height - 2;
    size_t& cur = listener_cursor_;
    if (s.listeners.empty()) {
      cur = 0;
    } else if (cur >= s.listeners.size()) {
      cur = s.listeners.size() - 1;
    }
    if (cur < listener_top_) listener_top_ = cur;
    if (rows > 0 && cur >= listener_top_ + static_cast<size_t>(rows)) {
      listener_top_ = cur - static_cast<size_t>(rows) + 1;
    }
    auto line = [&](int yy, auto&& cell, attr_t attr) {
      int x = 0;
      for (size_t c = 0; c < std::size(render::kListenerColumns); ++c) {
        if (c == 2) {  // the bar before the numbers
          fmt::memory_buffer cb;
          cell(cb, SIZE_MAX);
          put(yy, x, {cb.data(), cb.size()}, std::min(bar_w, w - x), attr);
          x += bar_w + 1;
        }
        fmt::memory_buffer cb;
        cell(cb, c);
        const bool numeric = render::kListenerColumns[c].numeric;
        int width = widths[c];
        std::string text(cb.data(), std::min<size_t>(cb.size(), static_cast<size_t>(width)));
        if (numeric && static_cast<int>(text.size()) < width) {
          text.insert(0, static_cast<size_t>(width) - text.size(), ' ');
        }
        if (x >= w) break;
        put(yy, x, text, w - x, attr);
        x += width + 1;
      }
    };
    line(
        y + 1,
        [&](fmt::memory_buffer& cb, size_t c) {
          render::detail::put(cb, c == SIZE_MAX ? std::string_view("Accept queue")
                                                : render::kListenerColumns[c].header);
        },
        A_BOLD | A_REVERSE);
    for (int i = 0; i < rows; ++i) {
      const size_t idx = listener_top_ + static_cast<size_t>(i);
      if (idx >= s.listeners.size()) break;
      const model::TopListener& l = s.listeners[idx];
      attr_t attr = A_NORMAL;
      if (l.info.accept_queue_full() || (l.has_drop_rate && l.drops_per_second > 0)) {
        attr = color(kCrit) | A_BOLD;
      } else if (l.info.fill_percent() >= 80) {
        attr = color(kWarn);
      }
      if (!focus_conns_ && idx == cur) attr = term_.color() ? color(kSelected) : A_REVERSE;
      line(
          y + 2 + i,
          [&](fmt::memory_buffer& cb, size_t c) {
            if (c == SIZE_MAX) {
              const double fill = std::min(100.0, l.info.fill_percent());
              const int full = static_cast<int>(fill / 100.0 * (bar_w - 2) + 0.5);
              cb.push_back('[');
              for (int k = 0; k < bar_w - 2; ++k) cb.push_back(k < full ? '#' : ' ');
              cb.push_back(']');
              return;
            }
            render::append_listener_cell(cb, s, l, render::kListenerColumns[c].id);
          },
          attr);
    }
  }

  std::vector<Column> conn_columns(int w, int addr_w, int proc_w) const {
    static constexpr ConnColumn kPriority[] = {
        ConnColumn::kState, ConnColumn::kLocal, ConnColumn::kPeer,        ConnColumn::kProcess,
        ConnColumn::kRx,    ConnColumn::kTx,    ConnColumn::kRetransRate, ConnColumn::kRtt,
        ConnColumn::kRecvQ, ConnColumn::kSendQ, ConnColumn::kAge,         ConnColumn::kRetrans,
        ConnColumn::kCwnd};
    std::vector<Column> chosen;
    int used = 0;
    for (ConnColumn c : kPriority) {
      int width = 8;
      if (c == ConnColumn::kState) width = 10;
      if (c == ConnColumn::kLocal || c == ConnColumn::kPeer) width = addr_w;
      if (c == ConnColumn::kProcess) width = proc_w;
      if (used + width > w && !chosen.empty()) continue;
      chosen.push_back({c, width});
      used += width + 1;
    }
    // Shown in the catalog's order (state first).
    std::sort(chosen.begin(), chosen.end(), [](const Column& a, const Column& b) {
      auto rank = [](ConnColumn c) { return c == ConnColumn::kState ? -1 : static_cast<int>(c); };
      return rank(a.id) < rank(b.id);
    });
    return chosen;
  }

  void draw_connections(int y, int height, int w, const model::TopSnapshot& s) {
    const int rows = height - 2;
    page_ = std::max(1, rows - 1);
    const bool grouped = text_.view.group != model::GroupBy::kNone;
    size_t total = 0;
    size_t& cur = conn_cursor_;
    if (s.conns) {
      if (grouped) {
        model::grouped_rows(*s.conns, text_.view, groups_);
        total = groups_.size();
      } else {
        total = s.conns->rows.size();
        if (text_.view.states != model::kMaskAll) {
          total = 0;
          for (const auto& r : s.conns->rows) total += (text_.view.states >> r.state) & 1U;
        }
      }
    }
    conn_count_ = total;
    if (cur == SIZE_MAX || (total > 0 && cur >= total)) cur = total > 0 ? total - 1 : 0;
    if (total == 0) cur = 0;
    if (cur < conn_top_) conn_top_ = cur;
    if (rows > 0 && cur >= conn_top_ + static_cast<size_t>(rows)) {
      conn_top_ = cur - static_cast<size_t>(rows) + 1;
    }
    if (conn_top_ > 0 && conn_top_ + static_cast<size_t>(std::max(rows, 0)) > total) {
      conn_top_ = total > static_cast<size_t>(rows) ? total - static_cast<size_t>(rows) : 0;
    }
    if (s.conns && !grouped && rows > 0) {
      model::select_rows(*s.conns, text_.view, conn_top_, static_cast<size_t>(rows), scratch_,
                         rows_);
    } else {
      rows_.clear();
    }

    fmt::memory_buffer b;
    fmt::format_to(std::back_inserter(b), "CONNECTIONS {}", total);
    if (grouped)
      fmt::format_to(std::back_inserter(b), " groups by {}", model::group_name(text_.view.group));
    fmt::format_to(std::back_inserter(b), "  sort {} {}",
                   model::column_info(text_.view.sort).header, arrow());
    put(y, 0, {b.data(), b.size()}, w, A_BOLD | (focus_conns_ ? A_UNDERLINE : A_NORMAL));

    // Address and process widths from the rows on screen.
    int addr_w = 21;
    int proc_w = 12;
    auto each_visible = [&](auto&& fn) {
      if (grouped) {
        for (int i = 0; i < rows; ++i) {
          const size_t idx = conn_top_ + static_cast<size_t>(i);
          if (idx >= groups_.size()) break;
          fn(i, idx);
        }
      } else {
        for (size_t i = 0; i < rows_.size(); ++i) fn(static_cast<int>(i), conn_top_ + i);
      }
    };
    auto cell = [&](fmt::memory_buffer& cb, int i, ConnColumn c) {
      if (grouped) {
        render::append_group_cell(cb, s, groups_[conn_top_ + static_cast<size_t>(i)], c, text_);
      } else {
        render::append_conn_cell(cb, s, s.conns->rows[rows_[static_cast<size_t>(i)]], c, text_);
      }
    };
    each_visible([&](int i, size_t) {
      fmt::memory_buffer cb;
      cell(cb, i, ConnColumn::kLocal);
      addr_w = std::max(addr_w, static_cast<int>(cb.size()));
      cb.clear();
      cell(cb, i, ConnColumn::kPeer);
      addr_w = std::max(addr_w, static_cast<int>(cb.size()));
      cb.clear();
      cell(cb, i, ConnColumn::kProcess);
      proc_w = std::max(proc_w, static_cast<int>(cb.size()));
    });
    addr_w = std::min(addr_w, 47);
    proc_w = std::min(proc_w, 24);
    const std::vector<Column> cols = conn_columns(w, addr_w, proc_w);
    auto line = [&](int yy, auto&& text_of, attr_t attr) {
      std::string l;
      for (const Column& c : cols) {
        fmt::memory_buffer cb;
        text_of(cb, c.id);
        std::string t = fit(std::string_view(cb.data(), cb.size()), c.width);
        const bool numeric = model::column_info(c.id).numeric;
        if (columns(t) < c.width) {
          const size_t fill = static_cast<size_t>(c.width - columns(t));
          t = numeric ? std::string(fill, ' ') + t : t + std::string(fill, ' ');
        }
        if (!l.empty()) l.push_back(' ');
        l += t;
      }
      if ((attr & A_REVERSE) != 0 || attr == color(kSelected)) {
        if (columns(l) < w) l.append(static_cast<size_t>(w - columns(l)), ' ');
      }
      put(yy, 0, l, w, attr);
    };
    line(
        y + 1,
        [&](fmt::memory_buffer& cb, ConnColumn c) {
          render::detail::put(cb, model::column_info(c).header);
          if (c == text_.view.sort) render::detail::put(cb, arrow());
        },
        A_BOLD | A_REVERSE);
    each_visible([&](int i, size_t idx) {
      attr_t attr = A_NORMAL;
      if (!grouped) {
        const model::ConnRow& r = s.conns->rows[rows_[static_cast<size_t>(i)]];
        if (r.has_rates() && r.retrans_rate > 0) attr = color(kWarn);
      }
      if (focus_conns_ && idx == cur) attr = term_.color() ? color(kSelected) : A_REVERSE;
      line(
          y + 2 + i, [&](fmt::memory_buffer& cb, ConnColumn c) { cell(cb, i, c); }, attr);
    });
  }

  void draw_box(int h, int w, const std::vector<std::string>& lines, std::string_view title) {
    const int bw = std::min(w - 4, 100);
    const int bh = std::min(h - 4, static_cast<int>(lines.size()) + 2);
    const int x0 = (w - bw) / 2;
    const int y0 = 2;
    const std::string blank(static_cast<size_t>(bw), ' ');
    for (int i = 0; i < bh; ++i) put(y0 + i, x0, blank, bw, A_REVERSE);
    put(y0, x0 + 2, title, bw - 4, A_REVERSE | A_BOLD);
    const size_t first = std::min(overlay_top_, lines.size() > 0 ? lines.size() - 1 : 0);
    overlay_top_ = first;
    for (int i = 0; i + 2 < bh; ++i) {
      const size_t k = first + static_cast<size_t>(i);
      if (k >= lines.size()) break;
      put(y0 + 1 + i, x0 + 2, lines[k], bw - 4, A_REVERSE);
    }
  }

  void draw_help(int h, int w) {
    static const std::vector<std::string> kHelp = {
        "q            quit",
        "Tab          switch between listeners and connections",
        "Up/Down j/k  move;  PgUp/PgDn  a page;  Home/End  first/last",
        "< >          sort by the previous / next column",
        "r            reverse the order",
        "g            group connections: none, process, remote host, remote port",
        "/            filter with ss's language (e.g. dport = :443, state established);",
        "             an empty filter clears it; Esc cancels",
        "p            pause / resume refreshing",
        "d            the doctor's findings in full",
        "+ -          refresh less / more often",
        "n            port numbers / service names",
        "h ?          this help (Esc closes)",
        "",
        "Recv/s Send/s: bytes received, and sent and acknowledged, per second (tcp_info).",
        "Retr/s Retr: retransmitted segments per second and in total. Age: since first seen.",
        "Listeners: Accept-Q/Limit is the accept queue; Drops/s the listener's drop counter."};
    draw_box(h, w, kHelp, "tcpscope top: keys");
  }

  void draw_doctor(int h, int w, const model::TopSnapshot& s) {
    std::vector<std::string> lines;
    if (!s.has_doctor) {
      lines.emplace_back("The doctor needs two refreshes (a window of counters).");
    } else {
      fmt::memory_buffer b;
      render::doctor_text(b, s.doctor, render::DoctorFormatOptions{.netns = s.netns});
      std::string_view text(b.data(), b.size());
      while (!text.empty()) {
        const size_t nl = text.find('\n');
        lines.emplace_back(text.substr(0, nl));
        if (nl == std::string_view::npos) break;
        text.remove_prefix(nl + 1);
      }
    }
    draw_box(h, w, lines, "doctor (Up/Down scroll, Esc closes)");
  }

  void draw_status(int h, int w) {
    const int y = h - 1;
    if (prompt_) {
      const std::string l = "filter: " + input_;
      put(y, 0, l, w, A_BOLD);
      wmove(stdscr, y, std::min(w - 1, static_cast<int>(l.size())));
      curs_set(1);
      return;
    }
    curs_set(0);
    if (!message_.empty() && std::chrono::steady_clock::now() < message_until_) {
      put(y, 0, message_, w, message_error_ ? color(kCrit) | A_BOLD : A_BOLD);
      return;
    }
    if (snap_ && !snap_->status.empty()) {
      put(y, 0, "error (showing the last good data; retrying): " + snap_->status, w,
          color(kCrit) | A_BOLD);
      return;
    }
    put(y, 0,
        "q quit  Tab pane  </> sort  r reverse  g group  / filter  p pause  d doctor  +/- "
        "interval  n names  h help",
        w, color(kDim));
  }

  Collector& c_;
  Runner runner_;
  ScreenOptions o_;
  Terminal& term_;
  source::NameCache names_;
  render::TopTextOptions text_;
  bool utf8_ = false;
  std::shared_ptr<const model::TopSnapshot> snap_;
  bool focus_conns_ = true;
  size_t conn_cursor_ = 0;
  size_t conn_top_ = 0;
  size_t listener_cursor_ = 0;
  size_t listener_top_ = 0;
  size_t conn_count_ = 0;
  size_t listener_count_ = 0;
  int page_ = 10;
  bool help_ = false;
  bool doctor_ = false;
  size_t overlay_top_ = 0;
  bool paused_ = false;
  bool prompt_ = false;
  std::string input_;
  std::string message_;
  bool message_error_ = false;
  std::chrono::steady_clock::time_point message_until_{};
  std::vector<uint32_t> scratch_;
  std::vector<uint32_t> rows_;
  std::vector<model::ConnGroup> groups_;
};

}  // namespace

int run_screen(Collector& collector, const ScreenOptions& options) {
  std::setlocale(LC_ALL, "");
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  Terminal term(options.color);
  Ui ui(collector, options, term);
  return ui.run();
}

}  // namespace tcpscope::top
