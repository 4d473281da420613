// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "diag/filter.hpp"
#include "filter_test_util.hpp"

namespace tcpscope {
namespace {

using diag::Filter;
using diag::FilterInput;
using diag::ParseOptions;

testing::FakeResolver g_resolver;

ParseOptions opts(uint8_t family = AF_UNSPEC, bool tcp = true, bool udp = true) {
  ParseOptions o;
  o.family = family;
  o.tcp = tcp;
  o.udp = udp;
  o.resolver = &g_resolver;
  return o;
}

Result<Filter> parse_words(const std::vector<std::string>& words, const ParseOptions& o = opts()) {
  return diag::parse_filter(FilterInput{words, {}, {}}, o);
}

// The canonical tree of a one-string expression, or "error: <message>".
std::string tree(const std::string& text, const ParseOptions& o = opts()) {
  auto f = parse_words({text}, o);
  if (!f) return "error: " + f.error().message();
  return diag::to_string(f->expr);
}

std::string error_of(const std::vector<std::string>& words, const ParseOptions& o = opts()) {
  auto f = parse_words(words, o);
  if (f) return "parsed: " + diag::to_string(f->expr);
  EXPECT_EQ(f.error().kind(), ErrorKind::kUsage) << f.error().message();
  return f.error().message();
}

TEST(FilterParse, EmptyInputIsNoFilter) {
  auto f = parse_words({});
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->expr.empty());
  EXPECT_FALSE(f->states.has_value());
  auto blank = parse_words({"  ", "\t"});
  ASSERT_TRUE(blank);
  EXPECT_TRUE(blank->expr.empty());
}

TEST(FilterParse, StateWords) {
  auto f = parse_words({"state", "established"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0x2u);
  EXPECT_TRUE(f->expr.empty());

  f = parse_words({"state", "established", "state", "syn-sent"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0x6u);

  f = parse_words({"exclude", "listening"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0xBFFu);

  f = parse_words({"excl", "time-wait", "exclude", "bucket"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0xFFFu & ~0x48u);

  f = parse_words({"state", "connected"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0xB7Fu);
  f = parse_words({"state", "synchronized"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0xB7Bu);
  f = parse_words({"state", "big"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0xFB7u);
  f = parse_words({"state", "all"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0xFFFu);
  f = parse_words({"state", "ESTABLISHED"});  // names are case-insensitive
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0x2u);

  // An empty mask stays empty (ss silently shows its default states instead).
  f = parse_words({"state", "established", "exclude", "established"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0u);

  // State words may share a quoted argument with the expression.
  f = parse_words({"state established dport = :22"});
  ASSERT_TRUE(f);
  EXPECT_EQ(f->states, 0x2u);
  EXPECT_EQ(diag::to_string(f->expr), "(dst *:22)");
}

TEST(FilterParse, StateWordErrors) {
  EXPECT_EQ(error_of({"state", "bogus"}), "filter: \"bogus\" at word 2 is not a state name");
  EXPECT_EQ(error_of({"state"}), "filter: \"state\" at word 1 needs a state name after it");
  EXPECT_EQ(error_of({"dport = :22", "state", "established"}),
            "filter: unexpected \"state\" at word 4 (state words must come before the "
            "expression)");
}

TEST(FilterParse, PortRelations) {
  for (const char* eq : {"=", "==", "eq", ""}) {
    EXPECT_EQ(tree(std::string("dport ") + eq + " :22"), "(dst *:22)") << eq;
    EXPECT_EQ(tree(std::string("sport ") + eq + " 22"), "(src *:22)") << eq;
  }
  for (const char* ne : {"!=", "ne", "neq"}) {
    EXPECT_EQ(tree(std::string("dport ") + ne + " :22"), "(not (dst *:22))") << ne;
  }
  for (const char* ge : {">=", "ge", "geq"}) {
    EXPECT_EQ(tree(std::string("sport ") + ge + " 1024"), "(sport >= 1024)") << ge;
  }
  for (const char* le : {"<=", "le", "leq"}) {
    EXPECT_EQ(tree(std::string("dport ") + le + " 1024"), "(dport <= 1024)") << le;
  }
  // > P is not <= P; < P is not >= P.
  EXPECT_EQ(tree("dport > :1000"), "(not (dport <= 1000))");
  EXPECT_EQ(tree("dport gt 1000"), "(not (dport <= 1000))");
  EXPECT_EQ(tree("sport < 1000"), "(not (sport >= 1000))");
  EXPECT_EQ(tree("sport lt 1000"), "(not (sport >= 1000))");
}

TEST(FilterParse, PortOperands) {
  EXPECT_EQ(tree("dport = :ssh"), "(dst *:22)");
  EXPECT_EQ(tree("dport = http"), "(dst *:80)");
  EXPECT_EQ(tree("sport = *"), "(src *)");
  EXPECT_EQ(tree("sport = :*"), "(src *)");
  EXPECT_EQ(tree("dport = 0x16"), "(dst *:22)");  // C literals, as ss's strtol(base 0)
  EXPECT_EQ(tree("dport = 022"), "(dst *:18)");
  EXPECT_EQ(tree("dport = 0"), "(dst *:0)");
  EXPECT_EQ(tree("dport = 65535"), "(dst *:65535)");
  // A service whose tcp and udp ports differ is ambiguous unless only one table is dumped.
  EXPECT_EQ(tree("dport = amb"), "error: filter: \"amb\" at word 3 names a port that is ambiguous");
  EXPECT_EQ(tree("dport = amb", opts(AF_UNSPEC, true, false)), "(dst *:100)");
  EXPECT_EQ(tree("dport = amb", opts(AF_UNSPEC, false, true)), "(dst *:200)");
  EXPECT_EQ(tree("dport = tcponly"), "(dst *:300)");
  EXPECT_EQ(tree("dport = tcponly", opts(AF_UNSPEC, false, true)),
            "error: filter: \"tcponly\" at word 3 does not look like a port");
  EXPECT_EQ(tree("dport = 65536"),
            "error: filter: \"65536\" at word 3 has a port that is not a number from 0 to 65535");
  EXPECT_EQ(tree("dport = 08"),
            "error: filter: \"08\" at word 3 has a port that is not a number from 0 to 65535");
  EXPECT_EQ(tree("dport = nosuch"),
            "error: filter: \"nosuch\" at word 3 does not look like a port");
  EXPECT_EQ(tree("dport > *"),
            "error: filter: \"*\" at word 3 cannot bound a port range (use a number)");
}

TEST(FilterParse, HostOperands) {
  EXPECT_EQ(tree("dst 127.0.0.1"), "(dst 127.0.0.1/32)");
  EXPECT_EQ(tree("dst = 127.0.0.1"), "(dst 127.0.0.1/32)");
  EXPECT_EQ(tree("src == 127.0.0.1"), "(src 127.0.0.1/32)");
  EXPECT_EQ(tree("src eq 127.0.0.1"), "(src 127.0.0.1/32)");
  EXPECT_EQ(tree("src 127.0.0.0/8"), "(src 127.0.0.0/8)");
  EXPECT_EQ(tree("dst 127.0.0/24"), "(dst 127.0.0.0/24)");  // abbreviated IPv4
  EXPECT_EQ(tree("dst 10/8"), "(dst 10.0.0.0/8)");
  EXPECT_EQ(tree("dst 127.1"), "(dst 127.1.0.0/32)");  // ss's reading, not inet_aton's
  EXPECT_EQ(tree("dst 0x7f.0.0.01"), "(dst 127.0.0.1/32)");
  EXPECT_EQ(tree("dst 10.0.0.0/255.0.0.0"), "(dst 10.0.0.0/8)");
  EXPECT_EQ(tree("dst 127.0.0.1:22"), "(dst 127.0.0.1/32:22)");
  EXPECT_EQ(tree("dst 127.0.0.0/8:ssh"), "(dst 127.0.0.0/8:22)");
  EXPECT_EQ(tree("dst [::1]"), "(dst [::1]/128)");
  EXPECT_EQ(tree("dst [::1]:5556"), "(dst [::1]/128:5556)");
  EXPECT_EQ(tree("dst [fe80::/10]"), "(dst [fe80::]/10)");
  EXPECT_EQ(tree("dst fe80::/10"), "(dst [fe80::]/10)");  // ':' before '/' is not a port
  EXPECT_EQ(tree("dst [127.0.0.1]:80"), "(dst 127.0.0.1/32:80)");
  EXPECT_EQ(tree("dst *"), "(dst *)");
  EXPECT_EQ(tree("dst *:22"), "(dst *:22)");
  EXPECT_EQ(tree("dst :22"), "(dst *:22)");
  EXPECT_EQ(tree("dst any"), "(dst *)");
  EXPECT_EQ(tree("src inet:127.0.0.1"), "(src inet:127.0.0.1/32)");
  EXPECT_EQ(tree("src inet6:[::1]:22"), "(src inet6:[::1]/128:22)");
  EXPECT_EQ(tree("src inet:*"), "(src inet:*)");
  // Every address of a host name.
  EXPECT_EQ(tree("dst localhost"), "(dst 127.0.0.1/32|[::1]/128)");
  EXPECT_EQ(tree("dst twin:80"), "(dst 192.0.2.1/32:80|192.0.2.2/32:80)");
  EXPECT_EQ(tree("dst localhost", opts(AF_INET)), "(dst 127.0.0.1/32)");
  EXPECT_EQ(tree("dst localhost", opts(AF_INET6)), "(dst [::1]/128)");
  EXPECT_EQ(tree("dst inet6:localhost"), "(dst inet6:[::1]/128)");
}

TEST(FilterParse, HostOperandErrors) {
  EXPECT_EQ(tree("dst ::1"), "error: filter: \"::1\" at word 2 is not an address or a prefix");
  EXPECT_EQ(tree("dst 1.2.3.4/33"),
            "error: filter: \"1.2.3.4/33\" at word 2 has a bad prefix length");
  EXPECT_EQ(tree("dst 1.2.3.4/255.0.255.0"),
            "error: filter: \"1.2.3.4/255.0.255.0\" at word 2 has a bad prefix length");
  EXPECT_EQ(tree("dst 256.1.1.1"),
            "error: filter: \"256.1.1.1\" at word 2 is not an address or a prefix");
  EXPECT_EQ(tree("dst [::1"), "error: filter: \"[::1\" at word 2 has no closing \"]\"");
  EXPECT_EQ(tree("dst [::1]x"),
            "error: filter: \"[::1]x\" at word 2 has text after \"]\" that is not \":PORT\"");
  EXPECT_EQ(tree("dst nosuchhost"),
            "error: filter: \"nosuchhost\" at word 2 is not an address, a prefix or a known host "
            "name");
  EXPECT_EQ(tree("dst link:eth0"),
            "error: filter: \"link:eth0\" at word 2 is not an inet, inet6 or unix address (only "
            "those are filtered here)");
  EXPECT_EQ(tree("src unix:/tmp/*.sock"), "(src unix:/tmp/*.sock)");
  EXPECT_EQ(tree("dst inet:[::1]"),
            "error: filter: \"inet:[::1]\" at word 2 is not an IPv4 address");
  EXPECT_EQ(tree("dst 127.0.0.1", opts(AF_INET6)),
            "error: filter: \"127.0.0.1\" at word 2 is not an IPv6 address");
  EXPECT_EQ(tree("dst != 127.0.0.1"),
            "error: filter: unexpected \"!=\" at word 2 (dst/src take only \"=\"; write \"not dst "
            "ADDRESS\")");
  EXPECT_EQ(tree("dst 127.0.0.1:99999"),
            "error: filter: \"127.0.0.1:99999\" at word 2 has a port that is not a number from 0 "
            "to 65535");
}

TEST(FilterParse, DevMarkCgroupAutobound) {
  EXPECT_EQ(tree("dev lo"), "(dev 1)");
  EXPECT_EQ(tree("dev = eth0"), "(dev 2)");
  EXPECT_EQ(tree("dev == eth0"), "(dev 2)");
  EXPECT_EQ(tree("dev != lo"), "(not (dev 1))");
  EXPECT_EQ(tree("dev 7"), "(dev 7)");
  EXPECT_EQ(tree("dev 0"), "(dev 0)");
  EXPECT_EQ(tree("dev nosuch"),
            "error: filter: \"nosuch\" at word 2 is not an interface name or index");
  EXPECT_EQ(tree("fwmark 0x42/0xff"), "(fwmark 0x42/0xff)");
  EXPECT_EQ(tree("fwmark = 66"), "(fwmark 0x42/0xffffffff)");
  EXPECT_EQ(tree("mark 5"), "(fwmark 0x5/0xffffffff)");
  EXPECT_EQ(tree("fwmark neq 1/1"), "(not (fwmark 0x1/0x1))");
  EXPECT_EQ(tree("fwmark 0xffffffff"), "(fwmark 0xffffffff/0xffffffff)");
  EXPECT_EQ(tree("fwmark 1/2/3"),
            "error: filter: \"1/2/3\" at word 2 is not a mark (VALUE or VALUE/MASK)");
  EXPECT_EQ(tree("fwmark 0x100000000"),
            "error: filter: \"0x100000000\" at word 2 is not a mark (VALUE or VALUE/MASK)");
  EXPECT_EQ(tree("fwmark 5abc"),
            "error: filter: \"5abc\" at word 2 is not a mark (VALUE or VALUE/MASK)");
  EXPECT_EQ(tree("cgroup /"), "(cgroup 1)");
  EXPECT_EQ(tree("cgroup != /system.slice"), "(not (cgroup 42))");
  EXPECT_EQ(tree("cgroup /nope"),
            "error: filter: \"/nope\" at word 2 is not a cgroup: /nope: No such file or directory");
  EXPECT_EQ(tree("autobound"), "autobound");
  EXPECT_EQ(tree("not autobound"), "(not autobound)");
  EXPECT_EQ(tree("dev > lo"), "error: filter: unexpected \">\" at word 2 (expected an interface)");
}

TEST(FilterParse, LogicOperators) {
  const std::string a = "(dst *:1)", b = "(dst *:2)", c = "(dst *:3)";
  for (const char* op : {"and", "&&", "&"}) {
    EXPECT_EQ(tree(std::string("dport 1 ") + op + " dport 2"), "(and " + a + " " + b + ")") << op;
  }
  for (const char* op : {"or", "||", "|"}) {
    EXPECT_EQ(tree(std::string("dport 1 ") + op + " dport 2"), "(or " + a + " " + b + ")") << op;
  }
  for (const char* op : {"not", "!"}) {
    EXPECT_EQ(tree(std::string(op) + " dport 1"), "(not " + a + ")") << op;
  }
  // Juxtaposition is AND.
  EXPECT_EQ(tree("dport 1 dport 2"), "(and " + a + " " + b + ")");
  EXPECT_EQ(tree("dport 1 not dport 2"), "(and " + a + " (not " + b + "))");
}

TEST(FilterParse, AndOrGroupLeftToRightAsSsDoes) {
  const std::string a = "(dst *:1)", b = "(dst *:2)", c = "(dst *:3)";
  EXPECT_EQ(tree("dport 1 or dport 2 and dport 3"), "(and (or " + a + " " + b + ") " + c + ")");
  EXPECT_EQ(tree("dport 1 and dport 2 or dport 3"), "(or (and " + a + " " + b + ") " + c + ")");
  EXPECT_EQ(tree("dport 1 or ( dport 2 and dport 3 )"), "(or " + a + " (and " + b + " " + c + "))");
  EXPECT_EQ(tree("not dport 1 and dport 2"), "(and (not " + a + ") " + b + ")");
  EXPECT_EQ(tree("not ( dport 1 or dport 2 )"), "(not (or " + a + " " + b + "))");
  EXPECT_EQ(tree("! ! dport 1"), "(not (not " + a + "))");
  EXPECT_EQ(tree("( ( dport 1 ) )"), a);
  // ss's verified example.
  EXPECT_EQ(tree("sport = :5555 or sport = :55038 and dport = :9999"),
            "(and (or (src *:5555) (src *:55038)) (dst *:9999))");
}

TEST(FilterParse, WordsSplitAcrossArgumentsAlike) {
  const std::string one = tree("( dport = :ssh or sport = :ssh )");
  EXPECT_EQ(one, "(or (dst *:22) (src *:22))");
  auto split = parse_words({"(", "dport", "=", ":ssh", "or", "sport", "=", ":ssh", ")"});
  ASSERT_TRUE(split);
  EXPECT_EQ(diag::to_string(split->expr), one);
  auto mixed = parse_words({"( dport", "= :ssh\tor", "sport = :ssh )"});
  ASSERT_TRUE(mixed);
  EXPECT_EQ(diag::to_string(mixed->expr), one);
  // Operators must be separate words.
  EXPECT_EQ(tree("dport=:22"), "error: filter: unexpected \"dport=:22\" at word 1");
  EXPECT_EQ(tree("(dport = :22)"), "error: filter: unexpected \"(dport\" at word 1");
}

TEST(FilterParse, BackslashEscapes) {
  // The escaped space keeps "a b" one word; the backslash itself is dropped.
  auto f = parse_words({"cgroup /system\\.slice"});
  ASSERT_TRUE(f);
  EXPECT_EQ(diag::to_string(f->expr), "(cgroup 42)");
  EXPECT_EQ(tree("cgroup /a\\ b"),
            "error: filter: \"/a b\" at word 2 is not a cgroup: /a b: No such file or directory");
  // An escaped keyword is still the keyword, as in ss.
  EXPECT_EQ(tree("dport 1 \\or dport 2"), "(or (dst *:1) (dst *:2))");
  // A trailing backslash is dropped.
  EXPECT_EQ(tree("autobound \\"), "autobound");
}

TEST(FilterParse, SyntaxErrorsNameTheWordAndItsPosition) {
  EXPECT_EQ(error_of({"dport = :22 and"}), "filter: missing an expression after \"and\" at word 4");
  EXPECT_EQ(error_of({"and dport = :22"}), "filter: unexpected \"and\" at word 1");
  EXPECT_EQ(error_of({"( dport = :22"}), "filter: \"(\" at word 1 is not closed");
  EXPECT_EQ(error_of({"dport = :22 )"}), "filter: unexpected \")\" at word 4");
  EXPECT_EQ(error_of({"( )"}), "filter: unexpected \")\" at word 2");
  EXPECT_EQ(error_of({"("}), "filter: missing an expression after \"(\" at word 1");
  EXPECT_EQ(error_of({"not"}), "filter: missing an expression after \"not\" at word 1");
  EXPECT_EQ(error_of({"dport", "="}), "filter: missing a port after \"=\" at word 2");
  EXPECT_EQ(error_of({"dst"}), "filter: missing an address after \"dst\" at word 1");
  EXPECT_EQ(error_of({"fwmark"}), "filter: missing a mark after \"fwmark\" at word 1");
  EXPECT_EQ(error_of({"sport = and"}), "filter: unexpected \"and\" at word 3 (expected a port)");
  EXPECT_EQ(error_of({"dport = :22 or or dport = :23"}), "filter: unexpected \"or\" at word 5");
  EXPECT_EQ(error_of({"127.0.0.1"}), "filter: unexpected \"127.0.0.1\" at word 1");
  EXPECT_EQ(error_of({"state", "established", "and"}), "filter: unexpected \"and\" at word 3");
  EXPECT_EQ(error_of({"dport = :22 = 1"}), "filter: unexpected \"=\" at word 4");
}

TEST(FilterParse, FileWordsFollowArgumentsAndKeepLineNumbers) {
  const std::vector<std::string> args = {"dport = :22"};
  auto f = diag::parse_filter(FilterInput{args, "# a comment\n   # indented\nor sport = :80\n", {}},
                              opts());
  ASSERT_TRUE(f);
  EXPECT_EQ(diag::to_string(f->expr), "(or (dst *:22) (src *:80))");

  auto e = diag::parse_filter(FilterInput{{}, "dport = :22\r\nand and\n", "rules.txt"}, opts());
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message(), "filter: unexpected \"and\" at word 5 (rules.txt line 2)");

  // ss skips lines starting with '0' (it meant '\0'); here they are words like any other.
  auto zero = diag::parse_filter(FilterInput{{}, "fwmark\n0x10/0xff\n", {}}, opts());
  ASSERT_TRUE(zero);
  EXPECT_EQ(diag::to_string(zero->expr), "(fwmark 0x10/0xff)");

  // State words may start a file.
  auto st = diag::parse_filter(FilterInput{{}, "state listening\nsport = :22\n", {}}, opts());
  ASSERT_TRUE(st);
  EXPECT_EQ(st->states, 0x400u);
}

TEST(FilterParse, ReadsFilterFiles) {
  const std::string path = ::testing::TempDir() + "filter_parse_test.rules";
  {
    std::ofstream out(path);
    out << "# ssh in or out\n( dport = :ssh\n  or sport = :ssh )\n";
  }
  auto text = diag::read_filter_file(path);
  ASSERT_TRUE(text);
  auto f = diag::parse_filter(FilterInput{{}, *text, path}, opts());
  ASSERT_TRUE(f);
  EXPECT_EQ(diag::to_string(f->expr), "(or (dst *:22) (src *:22))");
  std::remove(path.c_str());
  auto missing = diag::read_filter_file(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().err(), ENOENT);
}

TEST(FilterParse, HostileInputIsRefusedNotCrashed) {
  std::string deep(5000, '(');
  std::string words;
  for (char c : deep) (words += c) += ' ';
  auto d = parse_words({words});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message(), "filter: \"(\" at word 201 is nested too deeply");

  std::string nots;
  for (int i = 0; i < 1000; ++i) nots += "not ";
  EXPECT_FALSE(parse_words({nots + "autobound"}));

  std::string chain = "autobound";
  for (int i = 0; i < 5000; ++i) chain += " or autobound";
  auto c = parse_words({chain});
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("makes the expression too long"), std::string::npos);
}

TEST(FilterParse, NeedsCapNetAdminOnlyForMarks) {
  auto f = parse_words({"dport = :22 or not fwmark 1"});
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->needs_cap_net_admin());
  f = parse_words({"dport = :22 or cgroup /"});
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->needs_cap_net_admin());
}

}  // namespace
}  // namespace tcpscope
