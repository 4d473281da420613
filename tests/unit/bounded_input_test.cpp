// SPDX-License-Identifier: MIT
// Bounded reads and the reporting of non-text input (base/file.hpp), the atomic history
// replacement (base/locked_file.hpp), the streamed record reader and its host data frame
// (source/record_file.hpp, source/host_record.hpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/file.hpp"
#include "base/locked_file.hpp"
#include "source/host_record.hpp"
#include "source/name_cache.hpp"
#include "source/record_file.hpp"
#include "source/replay_source.hpp"

namespace tcpscope {
namespace {

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tcpscope-bounded-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)std::system(("rm -rf " + dir_).c_str()); }
  std::string write(const std::string& name, std::string_view content) {
    const std::string path = dir_ + "/" + name;
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
    return path;
  }
  std::string dir_;
};

using BoundedRead = TempDir;

TEST_F(BoundedRead, AtTheLimitIsReadPastItIsAnError) {
  const std::string path = write("f", std::string(100, 'a'));
  std::string buf;
  ASSERT_TRUE(read_file(path.c_str(), buf, 100).has_value());
  EXPECT_EQ(buf.size(), 100u);
  auto st = read_file(path.c_str(), buf, 99);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().what(), path + ": larger than 99 bytes, the limit for this kind of file");
  EXPECT_LE(buf.size(), 100u);  // never more than limit + 1 held
}

TEST(BoundedReadDevice, DevZeroEndsAtTheLimit) {
  std::string buf;
  auto st = read_file("/dev/zero", buf, 1 << 16);
  ASSERT_FALSE(st.has_value());
  EXPECT_LE(buf.capacity(), size_t{1} << 18);
  EXPECT_NE(st.error().what().find("larger than 65536 bytes"), std::string::npos);
}

TEST(CheckText, AcceptsTextTabsAndUtf8) {
  EXPECT_TRUE(check_text("a\tb\r\nc d # é\n", "f").has_value());
  EXPECT_TRUE(check_text("", "f").has_value());
}

TEST(CheckText, NulByteNamesLineColumnOffsetAndEscapesTheExcerpt) {
  const std::string content = std::string("dport = :80\nor sport") + '\0' + '\0' + " = :22\n";
  auto st = check_text(content, "filter.txt");
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().kind(), ErrorKind::kMalformed);
  EXPECT_EQ(st.error().what(),
            "filter.txt:2:9 (byte 20): not text (NUL byte) near \"or sport\\x00\\x00 = :22\\n\"");
}

TEST(CheckText, ControlByteAtTheStart) {
  auto st = check_text("\x1b[31mred", "c.toml");
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().what(),
            "c.toml:1:1 (byte 0): not text (control byte) near \"\\x1b[31mred\"");
}

TEST(EscapeExcerpt, EscapesEverythingButPrintableAsciiAndCuts) {
  EXPECT_EQ(escape_excerpt("a\"b\\c\n\xff", 24), "a\\\"b\\\\c\\n\\xff");
  EXPECT_EQ(escape_excerpt("abcdef", 3), "abc...");
}

using AtomicHistory = TempDir;

TEST_F(AtomicHistory, ReplaceRenamesANewPrivateFileAndLeavesNoTemporary) {
  const std::string path = dir_ + "/h";
  auto f = LockedFile::open(path);
  ASSERT_TRUE(f.has_value()) << f.error().what();
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ASSERT_TRUE(f->replace("one\n").has_value());
  struct stat after {};
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // a new file took the name; the old was never written
  ASSERT_TRUE(f->replace("two\n").has_value());
  ASSERT_EQ(::stat(path.c_str(), &after), 0);
  EXPECT_EQ(after.st_mode & 0777, 0600u);
  EXPECT_EQ(after.st_nlink, 1u);
  std::string content;
  ASSERT_TRUE(f->read_all(content, 100).has_value());
  EXPECT_EQ(content, "two\n");
  EXPECT_EQ(std::system(("test $(ls -A " + dir_ + " | wc -l) -eq 1").c_str()), 0);
}

TEST_F(AtomicHistory, ReadPastTheLimitIsAnError) {
  const std::string path = write("h", std::string(200, '1'));
  auto f = LockedFile::open(path);
  ASSERT_TRUE(f.has_value());
  std::string content;
  auto st = f->read_all(content, 100);
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().what().find("larger than 100 bytes"), std::string::npos);
}

TEST_F(AtomicHistory, AFailedReplaceLeavesTheOldContent) {
  const std::string sub = dir_ + "/d";
  ASSERT_EQ(::mkdir(sub.c_str(), 0700), 0);
  const std::string path = sub + "/h";
  auto f = LockedFile::open(path);
  ASSERT_TRUE(f.has_value());
  ASSERT_TRUE(f->replace("old\n").has_value());
  ASSERT_EQ(::chmod(sub.c_str(), 0500), 0);  // no new file can be created next to it
  if (::access(sub.c_str(), W_OK) == 0) GTEST_SKIP() << "root ignores directory modes";
  EXPECT_FALSE(f->replace("new\n").has_value());
  std::string content;
  ASSERT_TRUE(f->read_all(content, 100).has_value());
  EXPECT_EQ(content, "old\n");
  ::chmod(sub.c_str(), 0700);
}

std::vector<std::byte> bytes_of(std::string_view s) {
  std::vector<std::byte> b(s.size());
  std::memcpy(b.data(), s.data(), s.size());
  return b;
}

TEST(RecordReader, AFrameClaimingMoreThanADatagramIsRefusedWithoutAllocating) {
  auto r = source::RecordReader::from_bytes(
      bytes_of(std::string_view("TSNL\x01\x02\x06\x00\xff\xff\xff\xff\xff\xff\xff\x7f", 16)));
  source::RecordedDatagram d;
  auto more = r.next(d);
  ASSERT_FALSE(more.has_value());
  EXPECT_NE(more.error().what().find("at offset 0 claims 2147483647 bytes"), std::string::npos)
      << more.error().what();
}

TEST(RecordReader, ZerosAreNotAnSsDumpEither) {
  auto r = source::RecordReader::from_bytes(std::vector<std::byte>(4096));
  source::RecordedDatagram d;
  auto more = r.next(d);
  ASSERT_FALSE(more.has_value());
  EXPECT_NE(more.error().what().find("bad netlink message length 0 at offset 0"), std::string::npos)
      << more.error().what();
}

TEST(RecordReader, DevZeroFailsAtTheFirstMessage) {
  auto src = source::ReplaySource::open("/dev/zero");
  ASSERT_FALSE(src.has_value());
  EXPECT_NE(src.error().what().find("/dev/zero: bad netlink message length 0"), std::string::npos)
      << src.error().what();
}

TEST(RecordReader, OldFixturesHaveNoHostDataAndStillReplay) {
  auto src = source::ReplaySource::open(std::string(TCPSCOPE_FIXTURES) + "/nl/table_full.nl");
  ASSERT_TRUE(src.has_value()) << src.error().what();
  EXPECT_EQ((*src)->recorded_host(), nullptr);
}

TEST(HostRecord, RoundTripsAndKeepsUnknownsUnknown) {
  model::HostState h;
  h.has_sockstat = true;
  h.sockstat.tcp_inuse = 7;
  h.sockstat.tcp_mem = 3;
  h.sockstat.has_ipv6 = true;
  h.curr_estab = 5;
  h.tunables.somaxconn = 4096;
  h.tunables.tcp_mem = std::array<int64_t, 3>{1, 2, 3};
  const std::map<uint32_t, std::string> ifnames{{1, "lo"}, {7, "eth0"}};
  const std::string text = source::encode_host_record(h, ifnames);
  source::RecordedHost back;
  ASSERT_TRUE(source::decode_host_record(text, back).has_value());
  EXPECT_TRUE(back.host.has_sockstat);
  EXPECT_EQ(back.host.sockstat.tcp_inuse, 7u);
  EXPECT_EQ(back.host.sockstat.tcp_mem, 3u);
  EXPECT_TRUE(back.host.sockstat.has_ipv6);
  EXPECT_EQ(back.host.curr_estab, 5u);
  EXPECT_EQ(back.host.tunables.somaxconn, 4096);
  EXPECT_EQ(back.host.tunables.tcp_mem, h.tunables.tcp_mem);
  EXPECT_FALSE(back.host.tunables.tcp_max_orphans.has_value());
  EXPECT_EQ(back.ifnames, ifnames);

  source::RecordedHost empty;
  ASSERT_TRUE(source::decode_host_record("future.key 1 2 3\n", empty).has_value());
  EXPECT_FALSE(empty.host.has_sockstat);
  EXPECT_FALSE(empty.host.curr_estab.has_value());
}

TEST(HostRecord, ABadValueNamesTheLine) {
  source::RecordedHost h;
  auto st = source::decode_host_record("curr_estab 1\ntunable.somaxconn x\x7f\n", h);
  ASSERT_FALSE(st.has_value());
  EXPECT_NE(st.error().what().find("host data:2:20"), std::string::npos) << st.error().what();
  st = source::decode_host_record("curr_estab 1\ntunable.somaxconn lots\n", h);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().what(), "host data line 2: bad value \"tunable.somaxconn lots\"");
}

TEST(HostRecord, AReplayOfANewRecordCarriesItsHostDataAndOldReadersSkipIt) {
  model::HostState h;
  h.has_sockstat = true;
  h.sockstat.tcp_alloc = 67;
  h.tunables.tcp_max_tw_buckets = 131072;
  const std::string payload = source::encode_host_record(h, {{1, "lo"}, {9, "recorded0"}});
  // A host frame (protocol 0, ext 1) in front of an old fixture's frames.
  std::string file(16, '\0');
  std::memcpy(file.data(), "TSNL", 4);
  file[4] = 1;
  file[7] = static_cast<char>(source::kHostFrameKind);
  const auto len = static_cast<uint32_t>(payload.size());
  std::memcpy(file.data() + 12, &len, 4);
  file += payload;
  file.append((4 - payload.size() % 4) % 4, '\0');
  std::ifstream in(std::string(TCPSCOPE_FIXTURES) + "/nl/listeners.nl", std::ios::binary);
  file.append(std::istreambuf_iterator<char>(in), {});

  auto src = source::ReplaySource::from_bytes(bytes_of(file));
  ASSERT_TRUE(src.has_value()) << src.error().what();
  const auto* host = (*src)->recorded_host();
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->host.sockstat.tcp_alloc, 67u);
  EXPECT_EQ(host->host.tunables.tcp_max_tw_buckets, 131072);
  EXPECT_EQ(host->ifnames.at(9), "recorded0");

  // The old frame walk (split_record_file) sees the host frame as protocol 0, which no dump
  // asks for: a replay by an older version skips it.
  auto split = source::split_record_file(bytes_of(file));
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(split->front().protocol, 0);
}

TEST(RecordedNames, OnlyTheRecordsInterfaceNamesAreShown) {
  source::NameCache names;
  names.use_recorded_ifnames({{1, "recorded-lo"}});
  EXPECT_EQ(names.ifname(1), "recorded-lo");
  // Index 1 is "lo" on every live host; a replay must not ask the live host for others either.
  source::NameCache none;
  none.use_recorded_ifnames({});
  EXPECT_EQ(none.ifname(1), "");
}

}  // namespace
}  // namespace tcpscope
