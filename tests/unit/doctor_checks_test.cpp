// SPDX-License-Identifier: MIT
// The doctor's check table (model/doctor_report.hpp) is the one list of checks: its ids are
// unique, docs/doctor.md lists exactly the checks in report order, and the thresholds name the
// check they tune through it.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "doctor/thresholds.hpp"
#include "model/doctor_report.hpp"

namespace tcpscope::model::doctor {
namespace {

TEST(DoctorChecks, KeysAndNamesAreUnique) {
  std::set<std::string_view> keys;
  std::set<std::string_view> names;
  for (const CheckInfo& c : kCheckTable) {
    EXPECT_TRUE(keys.insert(c.key).second) << c.key;
    EXPECT_TRUE(names.insert(c.name).second) << c.name;
    EXPECT_EQ(&check_info(c.id), &c);
  }
  for (CheckId id : check_ids()) EXPECT_NE(check_info(id).family, CheckFamily::kNote);
  EXPECT_EQ(check_ids().size() + 3, std::size(kCheckTable));  // three notes
}

// "id family" from the first and last columns of the table under "## Checks" in
// docs/doctor.md.
std::vector<std::string> documented_checks() {
  std::ifstream in(std::string(TCPSCOPE_DOCS) + "/doctor.md");
  std::vector<std::string> ids;
  std::string line;
  bool in_checks = false;
  while (std::getline(in, line)) {
    if (line.starts_with("## ")) in_checks = line == "## Checks";
    if (!in_checks || !line.starts_with("| `")) continue;
    const size_t end = line.find('`', 3);
    const size_t last = line.rfind(" |");
    const size_t family = line.rfind("| ", last - 1) + 2;
    ids.push_back(line.substr(3, end - 3) + " " + line.substr(family, last - family));
  }
  return ids;
}

TEST(DoctorChecks, DocsListEveryCheckInReportOrderWithItsFamily) {
  std::vector<std::string> ids;
  for (CheckId id : check_ids()) {
    ids.push_back(std::string(check_key(id)) + " " +
                  std::string(family_name(check_info(id).family)));
  }
  EXPECT_EQ(documented_checks(), ids);
}

TEST(DoctorChecks, ThresholdMeaningsNameTheirCheck) {
  for (const auto& t : tcpscope::doctor::threshold_catalog()) {
    const std::string meaning = tcpscope::doctor::threshold_meaning(t);
    EXPECT_EQ(meaning.find('{'), std::string::npos) << t.name;
    if (t.meaning.find("{check}") != std::string_view::npos) {
      EXPECT_NE(meaning.find(check_key(t.check)), std::string::npos) << t.name;
    }
  }
}

}  // namespace
}  // namespace tcpscope::model::doctor
