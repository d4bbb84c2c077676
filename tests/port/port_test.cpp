// The porting check: port_program.h is a libtorch program; here it is compiled against tapegrad
// with nothing but `namespace torch = tg;`, and every entry it produces must match the numbers real
// libtorch produced (libtorch_reference.txt, written by reference_gen.cpp) to float64 precision.
//
// One parameterised test per reference entry (PortEntry/Libtorch.MatchesLibtorch/<entry>), plus
// checks that the reference file loads, every section runs, and the entry lists are identical.
#include <tapegrad/tapegrad.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace torch = tg;
#include "port_program.h"

#ifndef TG_PORT_REFERENCE
#error "TG_PORT_REFERENCE must be defined as the path of tests/port/libtorch_reference.txt"
#endif

namespace {

constexpr double kRtol = 1e-12;
constexpr double kAtol = 1e-12;

struct Reference {
  std::vector<std::pair<std::string, std::vector<double>>> entries;
  std::vector<std::string> errors;  // unreadable file, malformed lines
};

Reference load_reference() {
  Reference ref;
  std::ifstream in(TG_PORT_REFERENCE);
  if (!in) {
    ref.errors.push_back(std::string("cannot open ") + TG_PORT_REFERENCE);
    return ref;
  }
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, count_text;
    fields >> name >> count_text;
    char* end = nullptr;
    const long long count = std::strtoll(count_text.c_str(), &end, 10);
    if (name.empty() || count_text.empty() || *end != '\0' || count < 0) {
      ref.errors.push_back("line " + std::to_string(line_no) + ": expected `name count values...`");
      continue;
    }
    std::vector<double> values;
    std::string token;
    bool ok = true;
    while (fields >> token) {
      const double v = std::strtod(token.c_str(), &end);
      if (*end != '\0') {
        ok = false;
        break;
      }
      values.push_back(v);
    }
    if (!ok || static_cast<long long>(values.size()) != count) {
      ref.errors.push_back("line " + std::to_string(line_no) + " (" + name + "): count " + count_text + " but " +
                           std::to_string(values.size()) + " readable values");
      continue;
    }
    ref.entries.emplace_back(name, std::move(values));
  }
  return ref;
}

const Reference& reference() {
  static const Reference ref = load_reference();
  return ref;
}

std::vector<std::string> reference_names() {
  std::vector<std::string> names;
  for (const auto& entry : reference().entries) names.push_back(entry.first);
  return names;
}

// port_program() run against tapegrad, one section at a time so that a section that throws
// (an op tapegrad lacks, a shape it rejects) costs only that section's entries.
struct Computed {
  PortResults entries;
  std::map<std::string, std::size_t> index;  // name -> position in entries (first occurrence)
  std::vector<std::string> section_errors;   // "section: what()"
};

Computed compute() {
  Computed computed;
  for (const auto& section : port_sections()) {
    try {
      section.second(computed.entries);
    } catch (const std::exception& e) {
      computed.section_errors.push_back(section.first + ": " + e.what());
    } catch (...) {
      computed.section_errors.push_back(section.first + ": unknown exception");
    }
  }
  for (std::size_t i = 0; i < computed.entries.size(); ++i) {
    computed.index.emplace(computed.entries[i].first, i);
  }
  return computed;
}

const Computed& computed() {
  static const Computed c = compute();
  return c;
}

std::string section_errors_text() {
  std::string text;
  for (const std::string& e : computed().section_errors) text += "\n  section threw: " + e;
  return text;
}

TEST(PortProgram, ReferenceFileLoads) {
  const Reference& ref = reference();
  for (const std::string& e : ref.errors) ADD_FAILURE() << TG_PORT_REFERENCE << ": " << e;
  EXPECT_FALSE(ref.entries.empty()) << TG_PORT_REFERENCE << " has no entries";
}

TEST(PortProgram, EverySectionRuns) { EXPECT_TRUE(computed().section_errors.empty()) << section_errors_text(); }

TEST(PortProgram, SameEntriesInSameOrder) {
  const auto& want = reference().entries;
  const Computed& c = computed();
  std::map<std::string, std::size_t> want_index;
  for (std::size_t i = 0; i < want.size(); ++i) want_index.emplace(want[i].first, i);

  std::vector<std::string> missing, extra, count_differs;
  for (const auto& entry : want) {
    const auto found = c.index.find(entry.first);
    if (found == c.index.end()) {
      missing.push_back(entry.first);
    } else if (c.entries[found->second].second.size() != entry.second.size()) {
      count_differs.push_back(entry.first + " (libtorch " + std::to_string(entry.second.size()) + ", tapegrad " +
                              std::to_string(c.entries[found->second].second.size()) + ")");
    }
  }
  for (const auto& entry : c.entries) {
    if (want_index.count(entry.first) == 0) extra.push_back(entry.first);
  }
  const auto list = [](const std::vector<std::string>& names) {
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < 20; ++i) text += "\n    " + names[i];
    if (names.size() > 20) text += "\n    ... " + std::to_string(names.size() - 20) + " more";
    return text;
  };
  EXPECT_TRUE(missing.empty()) << missing.size() << " entries of the reference that tapegrad "
                               << "did not produce:" << list(missing) << section_errors_text();
  EXPECT_TRUE(extra.empty()) << extra.size() << " entries tapegrad produced that the reference "
                             << "lacks (regenerate it?):" << list(extra);
  EXPECT_TRUE(count_differs.empty()) << "value counts differ:" << list(count_differs);
  EXPECT_EQ(c.index.size(), c.entries.size()) << "tapegrad produced a name twice";
  if (missing.empty() && extra.empty() && c.index.size() == c.entries.size()) {
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(c.entries[i].first, want[i].first) << "entries in a different order at #" << i;
      if (c.entries[i].first != want[i].first) break;
    }
  }
}

class PortEntry : public ::testing::TestWithParam<std::string> {};

TEST_P(PortEntry, MatchesLibtorch) {
  const std::string& name = GetParam();
  const std::vector<double>* want = nullptr;
  for (const auto& entry : reference().entries) {
    if (entry.first == name) {
      want = &entry.second;
      break;
    }
  }
  ASSERT_TRUE(want != nullptr) << name << " is not in the reference";
  const Computed& c = computed();
  const auto found = c.index.find(name);
  if (found == c.index.end()) {
    FAIL() << "tapegrad produced no entry '" << name << "'" << section_errors_text();
  }
  const std::vector<double>& got = c.entries[found->second].second;
  ASSERT_EQ(got.size(), want->size()) << name << ": tapegrad gave " << got.size() << " values, libtorch "
                                      << want->size();
  int mismatches = 0;
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double w = (*want)[i];
    const double g = got[i];
    const double err = std::fabs(g - w);
    if (!(err <= kAtol + kRtol * std::fabs(w))) {  // also catches NaN
      if (mismatches < 8) {
        ADD_FAILURE() << std::setprecision(17) << name << "[" << i << "]: tapegrad " << g << ", libtorch " << w
                      << " (|diff| " << err << ")";
      }
      ++mismatches;
      if (!(err <= worst)) worst = err;
    }
  }
  EXPECT_EQ(mismatches, 0) << name << ": " << mismatches << " of " << got.size()
                           << " values differ beyond rtol 1e-12 / atol 1e-12, worst |diff| " << worst;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string s = info.param;
  for (char& ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    if (!ok) ch = '_';
  }
  return s.empty() ? "entry" + std::to_string(info.index) : s;
}

INSTANTIATE_TEST_SUITE_P(Libtorch, PortEntry, ::testing::ValuesIn(reference_names()), test_name);

}  // namespace
