// SPDX-License-Identifier: MIT
#include "top/screen.hpp"

#include <curses.h>
#include <langinfo.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <clocale>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "render/append.hpp"
#include "render/cli_messages.hpp"
#include "render/doctor_report.hpp"
#include "render/top.hpp"
#include "source/name_cache.hpp"

namespace tcpscope::top {

namespace {

using model::ConnColumn;
using render::ListenerColumn;

// ---- signals -------------------------------------------------------------------------------
// SIGINT, SIGTERM and SIGHUP end the screen; SIGWINCH and SIGTSTP are ncurses' own (a resize
// queues KEY_RESIZE; ^Z leaves curses mode, stops, and redraws on `fg`). All of them stay
// blocked outside ppoll(): the collector thread inherits the mask, so they always run on the
// screen's thread, interrupt its wait, and one that arrives between two waits is not lost.
volatile sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }
constexpr int kQuitSignals[] = {SIGINT, SIGTERM, SIGHUP};
constexpr int kCursesSignals[] = {SIGWINCH, SIGTSTP};

// A crash (or std::terminate) must not leave the shell in raw mode on the alternate screen.
// Only async-signal-safe calls here: the terminal modes saved before curses started, and the
// terminfo strings that leave curses' modes, written with write(2).
struct Emergency {
  volatile sig_atomic_t armed = 0;
  bool have_modes = false;
  termios modes{};
  char seq[256] = {};
  size_t seq_len = 0;
};
Emergency g_emergency;
constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};

void emergency_restore() {
  if (g_emergency.armed == 0) return;
  g_emergency.armed = 0;
  if (g_emergency.seq_len > 0) (void)!::write(STDOUT_FILENO, g_emergency.seq, g_emergency.seq_len);
  if (g_emergency.have_modes) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_emergency.modes);
}
extern "C" void on_fatal(int sig) {
  emergency_restore();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}
std::terminate_handler g_previous_terminate = nullptr;
void on_terminate() {
  emergency_restore();
  if (g_previous_terminate != nullptr) g_previous_terminate();
  std::abort();
}

// Installs the handlers and the mask for the screen's lifetime; puts everything back after.
class SignalScope {
 public:
  SignalScope() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kQuitSignals); ++i) {
      ::sigaction(kQuitSignals[i], &sa, &quit_old_[i]);
    }
    struct sigaction fatal {};
    fatal.sa_handler = on_fatal;
    sigemptyset(&fatal.sa_mask);
    for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
      ::sigaction(kFatalSignals[i], &fatal, &fatal_old_[i]);
    }
    g_previous_terminate = std::set_terminate(on_terminate);
    sigset_t block;
    sigemptyset(&block);
    for (int sig : kQuitSignals) sigaddset(&block, sig);
    for (int sig : kCursesSignals) sigaddset(&block, sig);
    ::pthread_sigmask(SIG_BLOCK, &block, &old_mask_);
    wait_mask_ = old_mask_;
    for (int sig : kQuitSignals) sigdelset(&wait_mask_, sig);
    for (int sig : kCursesSignals) sigdelset(&wait_mask_, sig);
  }
  ~SignalScope() {
    // The mask first: a signal still pending reaches our handler (harmless), not the default
    // action.
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    std::set_terminate(g_previous_terminate);
    for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
      ::sigaction(kFatalSignals[i], &fatal_old_[i], nullptr);
    }
    for (size_t i = 0; i < std::size(kQuitSignals); ++i) {
      ::sigaction(kQuitSignals[i], &quit_old_[i], nullptr);
    }
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;
  // The mask to wait with (ppoll): the quit signals and curses' own let through.
  const sigset_t& wait_mask() const { return wait_mask_; }

 private:
  struct sigaction quit_old_[std::size(kQuitSignals)]{};
  struct sigaction fatal_old_[std::size(kFatalSignals)]{};
  sigset_t old_mask_{};
  sigset_t wait_mask_{};
};

enum Pair : short { kTitle = 1, kOk, kWarn, kCrit, kDim, kSelected, kBar };

// The terminal in curses mode, from open() until restore() or the destructor (every way out).
class Terminal {
 public:
  static Result<std::unique_ptr<Terminal>> open(bool want_color) {
    std::unique_ptr<Terminal> t(new Terminal());
    g_emergency.have_modes = ::tcgetattr(STDIN_FILENO, &g_emergency.modes) == 0;
    // newterm (not initscr): an unknown TERM is an error to report, not an exit inside curses.
    t->screen_ = ::newterm(nullptr, stdout, stdin);
    if (t->screen_ == nullptr) {
      const char* term = std::getenv("TERM");
      return fail(Error(
          ErrorKind::kUnsupported,
          "cannot drive the terminal (TERM=" + render::excerpt(term != nullptr ? term : "") + ")"));
    }
    t->active_ = true;
    g_emergency.seq_len = 0;
    for (const char* cap : {"rmcup", "cnorm", "sgr0", "rmkx"}) {
      const char* s = ::tigetstr(cap);
      if (s == nullptr || s == reinterpret_cast<char*>(-1)) continue;
      const size_t n = std::strlen(s);
      if (g_emergency.seq_len + n >= sizeof g_emergency.seq) continue;
      std::memcpy(g_emergency.seq + g_emergency.seq_len, s, n);
      g_emergency.seq_len += n;
    }
    g_emergency.armed = 1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    t->color_ = want_color && has_colors();
    if (t->color_) {
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
    return t;
  }
  ~Terminal() {
    restore();
    if (screen_ != nullptr) ::delscreen(screen_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Leaves curses mode: the shell's screen, cursor and modes come back. Idempotent.
  void restore() {
    if (!active_) return;
    active_ = false;
    g_emergency.armed = 0;
    curs_set(1);
    endwin();
    std::fflush(stdout);
  }
  bool color() const { return color_; }

 private:
  Terminal() = default;
  SCREEN* screen_ = nullptr;
  bool active_ = false;
  bool color_ = false;
};

// ---- text ----------------------------------------------------------------------------------
// Display columns of UTF-8 text (every character here is one column wide).
int columns(std::string_view s) {
  int n = 0;
  for (const char ch : s) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The number of bytes of the first `cols` columns of `s`.
size_t prefix_bytes(std::string_view s, int cols) {
  size_t bytes = 0;
  for (int n = 0; bytes < s.size() && n < cols; ++n) {
    const auto c = static_cast<unsigned char>(s[bytes]);
    bytes += c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  }
  return std::min(bytes, s.size());
}

std::string fit(std::string_view s, int cols) {
  return std::string(s.substr(0, prefix_bytes(s, cols)));
}

// The last `cols` columns of `s`.
std::string_view tail(std::string_view s, int cols) {
  const int n = columns(s);
  if (n <= cols) return s;
  return s.substr(prefix_bytes(s, n - cols));
}

// Appends `line` cut at spaces into lines of at most `width` columns; continuations start at
// column `hang` (by default two more than the line's own indentation). A word longer than a line
// is cut where it must be.
void wrap(std::string_view line, int width, std::vector<std::string>& out, int hang = -1) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  if (width <= 0 || columns(line) <= width) {
    out.emplace_back(line);
    return;
  }
  const size_t indent = std::min(line.find_first_not_of(' '), line.size());
  if (hang < 0) hang = static_cast<int>(indent) + 2;
  const std::string more(static_cast<size_t>(std::min(hang, width / 2)), ' ');
  bool first = true;
  while (!line.empty()) {
    const int room = first ? width : width - static_cast<int>(more.size());
    const size_t skip = first ? indent : 0;  // never break inside the indentation
    std::string_view piece = line;
    if (columns(line) > room) {
      const size_t cut = prefix_bytes(line, room);
      const size_t space = line.rfind(' ', cut);
      const size_t at = space != std::string_view::npos && space > skip ? space : cut;
      piece = line.substr(0, at);
      line.remove_prefix(at);
    } else {
      line = {};
    }
    while (!piece.empty() && piece.back() == ' ') piece.remove_suffix(1);
    out.push_back(first ? std::string(piece) : more + std::string(piece));
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    first = false;
  }
}

// A line of text for a box, and the column its continuations start at (-1: the default).
struct BoxLine {
  std::string text;
  int hang = -1;
};

// The doctor's text is laid out for 100 columns: its why/fix paragraphs are broken into lines
// that continue under the paragraph's text column (7: "  why: "), while the items of a fix list
// sit deeper. Joins the broken paragraphs again, so they wrap to the box as one.
std::vector<BoxLine> doctor_lines(std::string_view text) {
  constexpr std::string_view kWhy = "  why: ";
  constexpr std::string_view kFix = "  fix: ";
  const std::string kContinued(kWhy.size(), ' ');
  std::vector<BoxLine> lines;
  bool in_paragraph = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const bool continued = in_paragraph && l.size() > kContinued.size() &&
                           l.substr(0, kContinued.size()) == kContinued &&
                           l[kContinued.size()] != ' ';
    if (continued) {
      lines.back().text += ' ';
      lines.back().text += l.substr(kContinued.size());
      continue;
    }
    in_paragraph = l.starts_with(kWhy) || l.starts_with(kFix);
    lines.push_back({std::string(l), in_paragraph ? static_cast<int>(kWhy.size()) + 2 : -1});
  }
  return lines;
}

std::string trimmed(std::string_view s) {
  const size_t a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return {};
  const size_t b = s.find_last_not_of(" \t");
  return std::string(s.substr(a, b - a + 1));
}

// ---- layout --------------------------------------------------------------------------------
constexpr int kMinWidth = 60;
constexpr int kListenerMin = 3;    // title, header, one row
constexpr int kConnectionMin = 3;  // the same
constexpr int kCounterLabel = 17;  // "SyncookiesFailed" and a space
constexpr int kCounterRate = 7;    // right-aligned in this many columns
constexpr int kCounterCell = 38;   // label, rate and an 11-column sparkline
constexpr int kCompactCell = 25;   // label and rate, no sparkline
constexpr double kIntervals[] = {0.5, 1, 2, 3, 5, 10, 15, 30, 60};

struct CounterLayout {
  int per_line = 1;
  int cell = kCounterCell;
  int spark = 0;  // columns of sparkline (0: none)
  int lines = 0;
};

// Counters in cells with sparklines; `compact` (a short terminal) drops the sparklines so more
// fit on a line. Never fewer than two a line: twelve lines of counters leave no room.
CounterLayout counter_layout(int w, bool compact) {
  CounterLayout c;
  const int base = compact ? kCompactCell : kCounterCell;
  c.per_line = std::max(2, w / base);
  c.cell = std::min(base, w / c.per_line);
  c.spark = compact ? 0 : std::max(0, c.cell - (kCounterLabel + kCounterRate + 3));
  const int n = static_cast<int>(model::kTopCounterCount);
  c.lines = (n + c.per_line - 1) / c.per_line;
  return c;
}

// Rows the screen needs with this counter layout: title, states, limits, counters, doctor, the
// two panes at their smallest and the status line.
int rows_needed(const CounterLayout& c) { return 4 + c.lines + kListenerMin + kConnectionMin + 1; }

struct Column {
  ConnColumn id;
  int width;
};

class Ui {
 public:
  Ui(Collector& c, const ScreenOptions& o, Terminal& term, const SignalScope& signals)
      : c_(c), runner_(c, o.interval_s), term_(term), signals_(signals) {
    text_.view = o.view;
    text_.services = o.services;
    text_.names = &names_;
    utf8_ = std::string_view(::nl_langinfo(CODESET)) == "UTF-8";
  }

  // Returns the exit status when `q` or a quit signal ends the screen, or the terminal goes away.
  int run() {
    runner_.start();
    draw();
    for (;;) {
      if (g_signal != 0) return 0;
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {runner_.notify_fd(), POLLIN, 0}};
      const int n = ::ppoll(fds, 2, wait_time(), &signals_.wait_mask());
      if (g_signal != 0) return 0;
      bool dirty = false;
      if (n < 0 && errno != EINTR) return 1;
      if (n > 0 && (fds[1].revents & POLLIN) != 0) {
        runner_.drain();
        dirty = take_snapshot() || dirty;
      }
      // Keys, and KEY_RESIZE, which curses queues from SIGWINCH without stdin being readable.
      bool got_key = false;
      for (int ch = getch(); ch != ERR; ch = getch()) {
        got_key = true;
        if (!key(ch)) return 0;
        dirty = true;
      }
      // A terminal that hung up (or a closed stdin) reads as "ready" with nothing to read.
      if (n > 0 && !got_key && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) return 0;
      const auto now = std::chrono::steady_clock::now();
      if (!message_.empty() && now >= message_until_) {
        message_.clear();
        dirty = true;
      }
      if (dirty) draw();
    }
  }

  // Stops the collector thread (after the terminal is restored: a refresh under way on a large
  // table may take a while to finish).
  void stop() { runner_.stop(); }

 private:
  // Until a message expires; nothing else on screen changes with time alone.
  const timespec* wait_time() {
    std::optional<std::chrono::steady_clock::time_point> until;
    if (!message_.empty()) until = message_until_;
    if (!until) return nullptr;
    const auto left = *until - std::chrono::steady_clock::now();
    const auto ns = std::max<int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(left).count(), 1'000'000);
    wait_ =
        timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    return &wait_;
  }

  // The newest snapshot, unless paused (then only the one asked for by a new filter).
  bool take_snapshot() {
    auto s = runner_.latest();
    if (!s || s == snap_) return false;
    const bool wanted = awaited_filter_ && s->filter == *awaited_filter_;
    if (paused_ && snap_ && !wanted) return false;
    if (wanted) awaited_filter_.reset();
    snap_ = std::move(s);
    return true;
  }

  // ---- keys ----------------------------------------------------------------------------------
  bool key(int ch) {
    if (ch == KEY_RESIZE) return true;
    if (prompt_) return prompt_key(ch);
    if (too_small_ && (ch == 'q' || ch == 'Q')) return false;  // as the message says
    if (help_ || doctor_) return overlay_key(ch);
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
        step(-page());
        break;
      case KEY_NPAGE:
      case ' ':
        step(page());
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
        say(text_.view.group == model::GroupBy::kNone
                ? std::string("one row per connection")
                : "group by " + std::string(model::group_name(text_.view.group)));
        break;
      case '/':
        prompt_ = true;
        input_.clear();  // a new expression, not an edit of the one in force (shown in the prompt)
        break;
      case 'p':
      case 'P':
        paused_ = !paused_;
        runner_.set_paused(paused_);
        if (!paused_) take_snapshot();
        say(paused_ ? "paused (p resumes)" : "resumed");
        break;
      case 'd':
      case 'D':
        open_overlay(false);
        break;
      case 'h':
      case '?':
      case KEY_F(1):
        open_overlay(true);
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

  void open_overlay(bool help) {
    help_ = help;
    doctor_ = !help;
    overlay_top_ = 0;
  }

  // Help and doctor details: Esc, q or Enter close; h/? and d switch; the rest scrolls.
  bool overlay_key(int ch) {
    switch (ch) {
      case 27:
      case 'q':
      case 'Q':
      case '\r':
      case '\n':
      case KEY_ENTER:
        help_ = doctor_ = false;
        break;
      case 'h':
      case '?':
      case KEY_F(1):
        if (help_) {
          help_ = false;
        } else {
          open_overlay(true);
        }
        break;
      case 'd':
      case 'D':
        if (doctor_) {
          doctor_ = false;
        } else {
          open_overlay(false);
        }
        break;
      case KEY_DOWN:
      case 'j':
        scroll_overlay(1);
        break;
      case KEY_UP:
      case 'k':
        scroll_overlay(-1);
        break;
      case KEY_NPAGE:
      case ' ':
        scroll_overlay(overlay_page_);
        break;
      case KEY_PPAGE:
        scroll_overlay(-overlay_page_);
        break;
      case KEY_HOME:
        overlay_top_ = 0;
        break;
      case KEY_END:
        overlay_top_ = overlay_max_top_;
        break;
      default:
        break;
    }
    return true;
  }

  void scroll_overlay(int by) {
    const auto top = static_cast<int64_t>(overlay_top_) + by;
    overlay_top_ =
        static_cast<size_t>(std::clamp<int64_t>(top, 0, static_cast<int64_t>(overlay_max_top_)));
  }

  bool prompt_key(int ch) {
    if (ch == 27) {  // Esc: the filter in force stays
      prompt_ = false;
      return true;
    }
    if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
      prompt_ = false;
      apply_filter(trimmed(input_));
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
    if (ch == 23) {  // ^W: the last word
      while (!input_.empty() && input_.back() == ' ') input_.pop_back();
      while (!input_.empty() && input_.back() != ' ') input_.pop_back();
      return true;
    }
    if (ch >= 32 && ch < 127 && input_.size() < 512) input_.push_back(static_cast<char>(ch));
    return true;
  }

  void apply_filter(const std::string& text) {
    if (text.empty() && filter_text().empty()) {
      say("no filter");
      return;
    }
    auto f = c_.parse_filter(text);
    if (!f) {
      std::string why = f.error().what();
      if (why.starts_with("filter: ")) why.erase(0, 8);
      const std::string now = filter_text();
      say("filter not changed (" + (now.empty() ? std::string("none") : "still \"" + now + "\"") +
              "): " + why,
          true);
      return;
    }
    say(text.empty() ? "filter cleared" : "filter: " + text);
    filter_ = text;
    awaited_filter_ = f->text;
    runner_.set_filter(std::move(*f));
    conn_cursor_ = 0;
  }

  // The filter in force: the one typed last, else the one the command line gave.
  std::string filter_text() const {
    if (filter_) return *filter_;
    return snap_ ? snap_->filter : std::string();
  }

  size_t& cursor() { return focus_conns_ ? conn_cursor_ : listener_cursor_; }
  int page() const { return std::max(1, focus_conns_ ? conn_rows_ - 1 : listener_rows_ - 1); }

  void step(int by) {
    size_t& c = cursor();
    const size_t count = focus_conns_ ? conn_count_ : listener_count_;
    if (c == SIZE_MAX) c = count > 0 ? count - 1 : 0;
    if (by < 0) {
      c = c > static_cast<size_t>(-by) ? c - static_cast<size_t>(-by) : 0;
    } else {
      c += static_cast<size_t>(by);
      if (count > 0 && c >= count) c = count - 1;
    }
  }

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
    const double cur = runner_.interval();
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
    // The next refresh is due the new interval after the last one started.
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
  // Writes at most `cols` columns (UTF-8 aware: a sparkline block is one column), so a line
  // never wraps into the next.
  void put(int y, int x, std::string_view s, int cols, attr_t attr = A_NORMAL) {
    if (cols <= 0 || y < 0) return;
    const size_t bytes = prefix_bytes(s, cols);
    if (attr != A_NORMAL) attron(attr);
    mvaddnstr(y, x, s.data(), static_cast<int>(bytes));
    if (attr != A_NORMAL) attroff(attr);
  }
  std::string_view arrow() const {
    if (text_.view.descending) return utf8_ ? "\u2193" : "v";
    return utf8_ ? "\u2191" : "^";
  }
  attr_t color(Pair p) const { return term_.color() ? COLOR_PAIR(p) : A_NORMAL; }
  attr_t selected() const { return term_.color() ? color(kSelected) : A_REVERSE; }
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
    CounterLayout counters = counter_layout(w, false);
    if (h < rows_needed(counters)) counters = counter_layout(w, true);
    too_small_ = w < kMinWidth || h < rows_needed(counters);
    if (too_small_) {
      draw_too_small(h, w);
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
    std::string title = fit({b.data(), b.size()}, w);
    title.append(static_cast<size_t>(std::max(0, w - columns(title))), ' ');
    put(y++, 0, title, w, term_.color() ? color(kTitle) : A_REVERSE);
    b.clear();
    render::append_top_states(b, s);
    put(y++, 0, {b.data(), b.size()}, w);
    b.clear();
    render::append_top_limits(b, s);
    put(y++, 0, {b.data(), b.size()}, w);
    y = draw_counters(y, w, s, counters);
    b.clear();
    render::append_top_doctor(b, s);
    if (s.has_doctor && !s.doctor.findings.empty()) {
      put(y, 0, {b.data(), b.size()}, w, severity_attr(s.doctor.worst()));
      const int x = std::min(columns({b.data(), b.size()}), w);
      put(y, x, "  (d: details)", w - x, color(kDim));
    } else {
      put(y, 0, {b.data(), b.size()}, w, s.has_doctor ? color(kOk) : A_NORMAL);
    }
    ++y;
    const int bottom = h - 1;  // the status line
    const int avail = bottom - y;
    const int want_l = static_cast<int>(s.listeners.size()) + 2;
    const int lh = std::clamp(want_l, kListenerMin,
                              std::clamp(avail / 3, kListenerMin, avail - kConnectionMin));
    draw_listeners(y, lh, w, s);
    draw_connections(y + lh, bottom - (y + lh), w, s);
    if (help_) draw_help(h, w);
    if (doctor_) draw_doctor(h, w, s);
    draw_status(h, w);
    refresh();
  }

  void draw_too_small(int h, int w) {
    const int need_w = std::max(w, kMinWidth);
    const int need_h = rows_needed(counter_layout(need_w, true));
    fmt::memory_buffer b;
    fmt::format_to(std::back_inserter(b),
                   "terminal too small ({}x{}): enlarge it to at least {}x{} (q quits)", w, h,
                   need_w, need_h);
    std::vector<std::string> lines;
    wrap({b.data(), b.size()}, w, lines);
    const int rows = prompt_ ? h - 1 : h;
    for (int i = 0; i < rows && i < static_cast<int>(lines.size()); ++i) put(i, 0, lines[i], w);
    if (prompt_) {
      draw_status(h, w);
    } else {
      curs_set(0);
    }
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
      if (top > 0 && v > 0) level = std::clamp(static_cast<int>(std::lround(v / top * 7.0F)), 1, 7);
      if (v <= 0) {
        b.push_back(' ');
      } else if (utf8_) {
        render::detail::put(b, kBlocks[level]);
      } else {
        b.push_back(kAscii[level]);
      }
    }
  }

  int draw_counters(int y, int w, const model::TopSnapshot& s, const CounterLayout& layout) {
    fmt::memory_buffer b;
    fmt::memory_buffer r;
    for (size_t i = 0; i < model::kTopCounterCount; ++i) {
      const int col = static_cast<int>(i) % layout.per_line;
      const int x = col * layout.cell;
      b.clear();
      r.clear();
      const model::TopCounter& c = s.counters[i];
      render::detail::put(b, model::kTopCounters[i].label);
      while (b.size() < kCounterLabel) b.push_back(' ');
      if (c.has_rate) {
        render::append_count_rate(r, c.rate);
      } else {
        render::detail::put(r, '-');
      }
      for (size_t k = r.size(); k < kCounterRate; ++k) b.push_back(' ');
      b.append(r);
      attr_t attr = A_NORMAL;
      const bool alarming = i <= 4 || i == 11;  // overflows, drops, cookies, resets
      if (c.has_rate && c.rate > 0 && alarming) attr = color(kWarn) | A_BOLD;
      put(y, x, {b.data(), b.size()}, std::min(layout.cell - 1, w - x), attr);
      if (layout.spark > 0) {
        b.clear();
        spark(b, c.history, layout.spark);
        const int sx = x + kCounterLabel + kCounterRate + 2;
        put(y, sx, {b.data(), b.size()}, w - sx, color(kBar));
      }
      if (col == layout.per_line - 1 || i + 1 == model::kTopCounterCount) ++y;
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
      name_w = std::max(name_w, columns({b.data(), b.size()}));
      b.clear();
      render::append_listener_cell(b, s, l, ListenerColumn::kProcess);
      proc_w = std::max(proc_w, columns({b.data(), b.size()}));
    }
    name_w = std::min(name_w, 40);
    proc_w = std::min(proc_w, 20);
    // On a narrow terminal the bar goes first, then the process column shrinks: the numbers
    // (queue, limit, fill) are what the pane is for.
    constexpr int kNumbers = 8 + 6 + 5 + 8 + 7 + 5;  // the numeric columns and their separators
    int bar_w = 12;
    if (name_w + proc_w + bar_w + 3 + kNumbers > w) bar_w = 0;
    if (name_w + proc_w + 2 + kNumbers > w) proc_w = std::max(7, w - name_w - 2 - kNumbers);
    const std::array<int, 7> widths = {name_w, proc_w, 8, 6, 5, 8, 7};
    const int rows = std::max(0, height - 2);
    listener_rows_ = rows;
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
    if (listener_top_ + static_cast<size_t>(rows) > s.listeners.size()) {
      listener_top_ = s.listeners.size() > static_cast<size_t>(rows)
                          ? s.listeners.size() - static_cast<size_t>(rows)
                          : 0;
    }
    auto line = [&](int yy, auto&& cell, attr_t attr) {
      std::string l;
      for (size_t c = 0; c < std::size(render::kListenerColumns); ++c) {
        if (c == 2 && bar_w > 0) {  // the bar before the numbers
          fmt::memory_buffer cb;
          cell(cb, SIZE_MAX);
          std::string t = fit({cb.data(), cb.size()}, bar_w);
          t.append(static_cast<size_t>(bar_w - columns(t)), ' ');
          l.push_back(' ');
          l += t;
        }
        fmt::memory_buffer cb;
        cell(cb, c);
        const int width = widths[c];
        std::string t = fit({cb.data(), cb.size()}, width);
        const auto fill = static_cast<size_t>(width - columns(t));
        if (render::kListenerColumns[c].numeric) {
          t.insert(0, fill, ' ');
        } else if (c + 1 < std::size(render::kListenerColumns)) {
          t.append(fill, ' ');
        }
        if (c > 0) l.push_back(' ');
        l += t;
      }
      if (attr == selected() && columns(l) < w) l.append(static_cast<size_t>(w - columns(l)), ' ');
      put(yy, 0, l, w, attr);
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
      if (!focus_conns_ && idx == cur) attr = selected();
      line(
          y + 2 + i,
          [&](fmt::memory_buffer& cb, size_t c) {
            if (c == SIZE_MAX) {
              const double fill = std::min(100.0, l.info.fill_percent());
              const int full = static_cast<int>(std::lround(fill / 100.0 * (bar_w - 2)));
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

  // The columns that fit in `w`: the connection's identity, the sort column (so what orders the
  // rows is always on screen), the rates, then the rest.
  std::vector<Column> conn_columns(int w, int addr_w, int proc_w) const {
    static constexpr ConnColumn kPriority[] = {
        ConnColumn::kState, ConnColumn::kLocal,   ConnColumn::kPeer,        ConnColumn::kRx,
        ConnColumn::kTx,    ConnColumn::kProcess, ConnColumn::kRetransRate, ConnColumn::kRtt,
        ConnColumn::kRecvQ, ConnColumn::kSendQ,   ConnColumn::kAge,         ConnColumn::kRetrans,
        ConnColumn::kCwnd};
    std::vector<ConnColumn> order(std::begin(kPriority), std::begin(kPriority) + 3);
    order.push_back(text_.view.sort);
    for (ConnColumn c : kPriority) {
      if (std::find(order.begin(), order.end(), c) == order.end()) order.push_back(c);
    }
    std::vector<Column> chosen;
    int used = 0;
    for (ConnColumn c : order) {
      int width = 8;
      if (c == ConnColumn::kState) width = 10;
      if (c == ConnColumn::kLocal || c == ConnColumn::kPeer) width = addr_w;
      if (c == ConnColumn::kProcess) width = proc_w;
      if (c == text_.view.sort) width = std::max(width, columns(model::column_info(c).header) + 1);
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

  // The rows of the connections pane: recomputed only when the snapshot, the view or the window
  // changed (a redraw for a key or a message costs no sort of a large table).
  struct RowsKey {
    const model::TopSnapshot* snap = nullptr;
    model::ViewOptions view;
    size_t top = 0;
    size_t rows = 0;
    bool operator==(const RowsKey& o) const {
      return snap == o.snap && view.sort == o.view.sort && view.descending == o.view.descending &&
             view.group == o.view.group && view.states == o.view.states && top == o.top &&
             rows == o.rows;
    }
  };

  size_t count_rows(const model::TopSnapshot& s) {
    const bool grouped = text_.view.group != model::GroupBy::kNone;
    RowsKey key{&s, text_.view, 0, 0};
    if (key == count_key_) return count_;
    count_key_ = key;
    count_ = 0;
    if (!s.conns) return count_;
    if (grouped) {
      model::grouped_rows(*s.conns, text_.view, groups_);
      count_ = groups_.size();
    } else if (text_.view.states == model::kMaskAll) {
      count_ = s.conns->rows.size();
    } else {
      for (const auto& r : s.conns->rows) count_ += (text_.view.states >> r.state) & 1U;
    }
    return count_;
  }

  void draw_connections(int y, int height, int w, const model::TopSnapshot& s) {
    const int rows = std::max(0, height - 2);
    conn_rows_ = rows;
    const bool grouped = text_.view.group != model::GroupBy::kNone;
    const size_t total = count_rows(s);
    size_t& cur = conn_cursor_;
    conn_count_ = total;
    if (cur == SIZE_MAX || (total > 0 && cur >= total)) cur = total > 0 ? total - 1 : 0;
    if (total == 0) cur = 0;
    if (cur < conn_top_) conn_top_ = cur;
    if (rows > 0 && cur >= conn_top_ + static_cast<size_t>(rows)) {
      conn_top_ = cur - static_cast<size_t>(rows) + 1;
    }
    if (conn_top_ > 0 && conn_top_ + static_cast<size_t>(rows) > total) {
      conn_top_ = total > static_cast<size_t>(rows) ? total - static_cast<size_t>(rows) : 0;
    }
    const RowsKey key{&s, text_.view, conn_top_, static_cast<size_t>(rows)};
    if (!(key == rows_key_)) {
      rows_key_ = key;
      if (s.conns && !grouped && rows > 0) {
        model::select_rows(*s.conns, text_.view, conn_top_, static_cast<size_t>(rows), scratch_,
                           rows_);
      } else {
        rows_.clear();
      }
    }

    fmt::memory_buffer b;
    fmt::format_to(std::back_inserter(b), "CONNECTIONS {}", total);
    if (grouped) {
      fmt::format_to(std::back_inserter(b), " groups by {}", model::group_name(text_.view.group));
    }
    fmt::format_to(std::back_inserter(b), "  sort {} {}",
                   model::column_info(text_.view.sort).header, arrow());
    put(y, 0, {b.data(), b.size()}, w, A_BOLD | (focus_conns_ ? A_UNDERLINE : A_NORMAL));

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
    // Address and process widths from the rows on screen (at least their headers).
    int addr_w = static_cast<int>(model::column_info(ConnColumn::kLocal).header.size());
    int proc_w = static_cast<int>(model::column_info(ConnColumn::kProcess).header.size());
    each_visible([&](int i, size_t) {
      fmt::memory_buffer cb;
      cell(cb, i, ConnColumn::kLocal);
      addr_w = std::max(addr_w, columns({cb.data(), cb.size()}));
      cb.clear();
      cell(cb, i, ConnColumn::kPeer);
      addr_w = std::max(addr_w, columns({cb.data(), cb.size()}));
      cb.clear();
      cell(cb, i, ConnColumn::kProcess);
      proc_w = std::max(proc_w, columns({cb.data(), cb.size()}));
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
          const auto fill = static_cast<size_t>(c.width - columns(t));
          if (numeric) {
            t.insert(0, fill, ' ');
          } else {
            t.append(fill, ' ');
          }
        }
        if (!l.empty()) l.push_back(' ');
        l += t;
      }
      if ((attr & A_REVERSE) != 0 || attr == selected()) {
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
      if (focus_conns_ && idx == cur) attr = selected();
      line(
          y + 2 + i, [&](fmt::memory_buffer& cb, ConnColumn c) { cell(cb, i, c); }, attr);
    });
  }

  // A box over the panes with `text` wrapped to its width; scrolls when it does not fit.
  void draw_box(int h, int w, const std::vector<BoxLine>& text, std::string_view title) {
    const int bw = std::min(w - 4, 100);
    const int tw = bw - 4;
    std::vector<std::string> lines;
    for (const BoxLine& l : text) wrap(l.text, tw, lines, l.hang);
    const int body = std::max(1, std::min(h - 6, static_cast<int>(lines.size())));
    const int bh = body + 2;
    const int x0 = (w - bw) / 2;
    const int y0 = 2;
    overlay_page_ = std::max(1, body - 1);
    overlay_max_top_ = lines.size() > static_cast<size_t>(body) ? lines.size() - body : 0;
    overlay_top_ = std::min(overlay_top_, overlay_max_top_);
    const std::string blank(static_cast<size_t>(bw), ' ');
    for (int i = 0; i < bh; ++i) put(y0 + i, x0, blank, bw, A_REVERSE);
    put(y0, x0 + 2, title, tw, A_REVERSE | A_BOLD);
    for (int i = 0; i < body; ++i) {
      const size_t k = overlay_top_ + static_cast<size_t>(i);
      if (k >= lines.size()) break;
      put(y0 + 1 + i, x0 + 2, lines[k], tw, A_REVERSE);
    }
    if (overlay_max_top_ > 0) {
      fmt::memory_buffer b;
      fmt::format_to(std::back_inserter(b), "lines {}-{} of {}  (Up/Down PgUp/PgDn Home/End)",
                     overlay_top_ + 1, overlay_top_ + static_cast<size_t>(body), lines.size());
      const int n = std::min(columns({b.data(), b.size()}), tw);
      put(y0 + bh - 1, x0 + bw - 2 - n, {b.data(), b.size()}, n, A_REVERSE | A_BOLD);
    }
  }

  void draw_help(int h, int w) {
    struct Key {
      std::string_view key;
      std::string_view text;
    };
    static constexpr Key kKeys[] = {
        {"q", "quit"},
        {"Tab", "switch between listeners and connections"},
        {"Up/Down j/k", "move;  PgUp/PgDn  a page;  Home/End  first/last"},
        {"< >", "sort by the previous / next column"},
        {"r", "reverse the order"},
        {"g", "group connections: none, process, remote host, remote port"},
        {"/",
         "filter with ss's language (e.g. dport = :443, state established); the prompt "
         "starts empty and shows the filter in force: Enter on an empty line clears it, "
         "Esc keeps it; ^U erases the line, ^W a word"},
        {"p", "pause / resume refreshing"},
        {"d", "the doctor's findings in full"},
        {"+ -", "refresh less / more often"},
        {"n", "port numbers / service names"},
        {"h ?", "this help"},
        {"", ""},
        {"",
         "In this box and the doctor's: Up/Down PgUp/PgDn Home/End scroll; Esc, q or Enter "
         "close."},
        {"", ""},
        {"", "Recv/s Send/s: bytes received, and sent and acknowledged, per second (tcp_info)."},
        {"",
         "Retr/s Retr: retransmitted segments per second and in total. Age: since first "
         "seen."},
        {"",
         "Listeners: Accept-Q/Limit is the accept queue; Drops/s the listener's drop "
         "counter."}};
    constexpr size_t kKeyColumn = 13;
    std::vector<BoxLine> lines;
    for (const Key& k : kKeys) {
      if (k.key.empty()) {
        lines.push_back({std::string(k.text)});
        continue;
      }
      std::string l(k.key);
      l.resize(kKeyColumn, ' ');
      lines.push_back({l + std::string(k.text), static_cast<int>(kKeyColumn) + 2});
    }
    draw_box(h, w, lines, "tcpscope top: keys (Esc closes)");
  }

  void draw_doctor(int h, int w, const model::TopSnapshot& s) {
    std::vector<BoxLine> lines;
    if (!s.has_doctor) {
      lines.push_back({"The doctor needs two refreshes (a window of counters)."});
    } else {
      fmt::memory_buffer b;
      render::doctor_text(b, s.doctor, render::DoctorFormatOptions{.netns = s.netns});
      lines = doctor_lines({b.data(), b.size()});
    }
    draw_box(h, w, lines, "doctor (Up/Down scroll, Esc closes)");
  }

  void draw_status(int h, int w) {
    const int y = h - 1;
    if (prompt_) {
      const std::string now = filter_text();
      std::string label = now.empty()
                              ? "filter (none now; Esc cancels): "
                              : "filter (now: " + now + "; empty Enter clears, Esc keeps): ";
      if (columns(label) > w / 2) label = now.empty() ? "filter: " : "filter (now: ...): ";
      const int room = std::max(1, w - 1 - columns(label));
      const std::string_view shown = tail(input_, room);
      const std::string l = label + std::string(shown);
      put(y, 0, l, w, A_BOLD);
      curs_set(1);
      wmove(stdscr, y, std::min(w - 1, columns(l)));
      return;
    }
    curs_set(0);
    if (!message_.empty()) {
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
  Terminal& term_;
  const SignalScope& signals_;
  timespec wait_{};
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
  int conn_rows_ = 10;
  int listener_rows_ = 1;
  bool too_small_ = false;  // the last draw showed only the message to enlarge
  bool help_ = false;
  bool doctor_ = false;
  size_t overlay_top_ = 0;
  size_t overlay_max_top_ = 0;
  int overlay_page_ = 10;
  bool paused_ = false;
  bool prompt_ = false;
  std::string input_;
  std::optional<std::string> filter_;          // typed here; unset: the command line's
  std::optional<std::string> awaited_filter_;  // shown as soon as a refresh has it, even paused
  std::string message_;
  bool message_error_ = false;
  std::chrono::steady_clock::time_point message_until_{};
  RowsKey count_key_;
  size_t count_ = 0;
  RowsKey rows_key_;
  std::vector<uint32_t> scratch_;
  std::vector<uint32_t> rows_;
  std::vector<model::ConnGroup> groups_;
};

}  // namespace

int run_screen(Collector& collector, const ScreenOptions& options) {
  std::setlocale(LC_ALL, "");
  g_signal = 0;
  SignalScope signals;
  auto term = Terminal::open(options.color);
  if (!term) {
    fmt::memory_buffer out;
    render::append_cli_message(out, "tcpscope",
                               {term.error().what(), "batch mode (-b) needs no terminal"});
    std::fwrite(out.data(), 1, out.size(), stderr);
    return 1;
  }
  Ui ui(collector, options, **term, signals);
  int status = 1;
  try {
    status = ui.run();
  } catch (...) {
    (*term)->restore();  // before the message main() prints
    throw;
  }
  (*term)->restore();
  ui.stop();
  return status;
}

}  // namespace tcpscope::top
