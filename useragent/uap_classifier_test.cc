#include "useragent/uap_classifier.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace shopstream {
namespace {

using Families = UserAgentClassifier::Families;

const std::string kRegexes = SHOPSTREAM_UAP_REGEXES;

constexpr char kChromeWindows[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/120.0.0.0 Safari/537.36";
constexpr char kSafariIphone[] =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 "
    "Safari/604.1";
constexpr char kFirefoxLinux[] =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
constexpr char kEdgeWindows[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91";
constexpr char kSamsungAndroid[] =
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, "
    "like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36";
constexpr char kGooglebot[] =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
constexpr char kCurl[] = "curl/8.4.0";

class UapClassifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = UapClassifier::Load(kRegexes);
    ASSERT_TRUE(loaded.ok())
        << loaded.status() << " (apt-get install uap-core)";
    classifier_ = loaded->release();
  }
  static void TearDownTestSuite() {
    delete classifier_;
    classifier_ = nullptr;
  }

  static void ExpectFamilies(absl::string_view user_agent,
                             absl::string_view browser, absl::string_view os) {
    ASSERT_NE(classifier_, nullptr);
    const Families families = classifier_->Classify(user_agent);
    EXPECT_EQ(families.browser, browser) << user_agent;
    EXPECT_EQ(families.os, os) << user_agent;
  }

  static UapClassifier* classifier_;
};

UapClassifier* UapClassifierTest::classifier_ = nullptr;

TEST_F(UapClassifierTest, ReadsBothParserLists) {
  ASSERT_NE(classifier_, nullptr);
  EXPECT_GT(classifier_->browser_parsers(), 100u);
  EXPECT_GT(classifier_->os_parsers(), 50u);
}

TEST_F(UapClassifierTest, ChromeOnWindows) {
  ExpectFamilies(kChromeWindows, "Chrome", "Windows");
}

TEST_F(UapClassifierTest, SafariOnIphone) {
  ExpectFamilies(kSafariIphone, "Mobile Safari", "iOS");
}

TEST_F(UapClassifierTest, FirefoxOnLinux) {
  ExpectFamilies(kFirefoxLinux, "Firefox", "Linux");
}

TEST_F(UapClassifierTest, Edge) {
  ExpectFamilies(kEdgeWindows, "Edge", "Windows");
}

TEST_F(UapClassifierTest, SamsungInternetOnAndroid) {
  ExpectFamilies(kSamsungAndroid, "Samsung Internet", "Android");
}

TEST_F(UapClassifierTest, Googlebot) {
  ExpectFamilies(kGooglebot, "Googlebot", "Other");
}

TEST_F(UapClassifierTest, Curl) { ExpectFamilies(kCurl, "curl", "Other"); }

TEST_F(UapClassifierTest, EmptyIsOther) {
  ExpectFamilies("", "Other", "Other");
}

TEST_F(UapClassifierTest, LongGarbageIsOtherAndOnlyItsStartCounts) {
  std::mt19937 random(42);
  std::string garbage;
  while (garbage.size() < 10 * 1024) {
    garbage.push_back(static_cast<char>(random() % 256));
  }
  ExpectFamilies(garbage, "Other", "Other");
  // A real User-Agent past the first kMaxUserAgentBytes is not seen.
  std::string hidden = garbage.substr(0, UapClassifier::kMaxUserAgentBytes);
  hidden += kChromeWindows;
  ExpectFamilies(hidden, "Other", "Other");
  // Within them it is.
  ExpectFamilies(garbage.substr(0, 100) + kChromeWindows, "Chrome", "Windows");
}

TEST_F(UapClassifierTest, InvalidUtf8) {
  ExpectFamilies("\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc",
                 "Other", "Other");
  ExpectFamilies(absl::StrCat("\xc3\x28\xff ", kFirefoxLinux, " \xf0\x28"),
                 "Firefox", "Linux");
}

TEST_F(UapClassifierTest, CachedAnswerIsTheSame) {
  ASSERT_NE(classifier_, nullptr);
  for (const char* user_agent : {kChromeWindows, kSafariIphone, kCurl}) {
    const Families uncached = classifier_->ClassifyUncached(user_agent);
    const Families first = classifier_->Classify(user_agent);
    const Families second = classifier_->Classify(user_agent);
    EXPECT_EQ(first.browser, uncached.browser);
    EXPECT_EQ(first.os, uncached.os);
    EXPECT_EQ(second.browser, uncached.browser);
    EXPECT_EQ(second.os, uncached.os);
  }
}

// A cache far smaller than the User-Agents seen evicts, and still answers
// what the parsers say, from many threads at once.
TEST(UapClassifierCacheTest, SmallCacheUnderManyThreads) {
  auto loaded = UapClassifier::Load(kRegexes, /*cache_entries=*/32);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const UapClassifier& classifier = **loaded;
  std::vector<std::string> user_agents;
  for (int i = 0; i < 200; ++i) {
    user_agents.push_back(absl::StrCat(kFirefoxLinux, " build/", i));
    user_agents.push_back(absl::StrCat("curl/7.", i, ".0"));
  }
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = t; i < user_agents.size(); i += 3) {
          const Families families = classifier.Classify(user_agents[i]);
          const bool curl = user_agents[i].starts_with("curl");
          if (families.browser != (curl ? "curl" : "Firefox") ||
              families.os != (curl ? "Other" : "Linux")) {
            ++wrong[t];
          }
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

TEST(UapClassifierCacheTest, NoCache) {
  auto loaded = UapClassifier::Load(kRegexes, /*cache_entries=*/0);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->Classify(kCurl).browser, "curl");
  EXPECT_EQ((*loaded)->Classify(kCurl).browser, "curl");
}

// uap-core's own test cases, shipped beside regexes.yaml: every family
// must come out as the reference parsers give it.
std::filesystem::path UapTestFile(const char* name) {
  return std::filesystem::path(kRegexes).parent_path() / "tests" / name;
}

void ExpectUapTestCases(const UapClassifier& classifier, const char* file,
                        bool os) {
  const std::filesystem::path path = UapTestFile(file);
  // uap-core is a build dependency: a missing file is a broken install,
  // not a reason to check nothing.
  ASSERT_TRUE(std::filesystem::exists(path))
      << path << " missing: the uap-core package ships it";
  const YAML::Node cases = YAML::LoadFile(path.string())["test_cases"];
  ASSERT_TRUE(cases.IsSequence()) << path;
  int checked = 0;
  for (const YAML::Node& test_case : cases) {
    const std::string user_agent =
        test_case["user_agent_string"].as<std::string>();
    const std::string want = test_case["family"].as<std::string>();
    // Longer ones are cut short by design.
    if (user_agent.size() > UapClassifier::kMaxUserAgentBytes) continue;
    const Families got = classifier.ClassifyUncached(user_agent);
    EXPECT_EQ(os ? got.os : got.browser, want) << user_agent;
    ++checked;
  }
  EXPECT_GT(checked, 400) << path;
}

TEST_F(UapClassifierTest, UapCoreBrowserTestCases) {
  ASSERT_NE(classifier_, nullptr);
  ExpectUapTestCases(*classifier_, "test_ua.yaml", /*os=*/false);
}

TEST_F(UapClassifierTest, UapCoreOsTestCases) {
  ASSERT_NE(classifier_, nullptr);
  ExpectUapTestCases(*classifier_, "test_os.yaml", /*os=*/true);
}

// Files of its own, for the rules of regexes.yaml and for bad files.
class UapClassifierFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("uap_classifier_test_", ::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const char* name, absl::string_view yaml) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << yaml;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(UapClassifierFileTest, ReplacementsAndFirstMatchWins) {
  const std::string path = Write("regexes.yaml", R"(
user_agent_parsers:
  - regex: '(Foo)Bar/(\d+)'
    family_replacement: 'Baz $1 v$2'
  - regex: 'Foo'
    family_replacement: 'Not first'
  - regex: '(Qux)(Quux)?'
  - regex: 'nocapture'
  - regex: 'ci(CASE)'
    regex_flag: 'i'
os_parsers:
  - regex: '(Win)dows (NT) (\d+)'
    os_replacement: '$1 $2 $9'
  - regex: 'Plan9'
    os_replacement: 'Plan 9'
)");
  auto loaded = UapClassifier::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const UapClassifier& classifier = **loaded;
  EXPECT_EQ(classifier.Classify("x FooBar/12 Windows NT 10").browser,
            "Baz Foo v12");
  EXPECT_EQ(classifier.Classify("x FooBar/12 Windows NT 10").os, "Win NT");
  EXPECT_EQ(classifier.Classify("Foo").browser, "Not first");
  EXPECT_EQ(classifier.Classify("Qux").browser, "Qux");
  EXPECT_EQ(classifier.Classify("nocapture").browser, "Other");
  EXPECT_EQ(classifier.Classify("CIcase").browser, "case");
  EXPECT_EQ(classifier.Classify("cicase Plan9").os, "Plan 9");
  EXPECT_EQ(classifier.Classify("none").browser, "Other");
  EXPECT_EQ(classifier.Classify("none").os, "Other");
}

TEST_F(UapClassifierFileTest, MissingFileNamesThePath) {
  const std::string path = (dir_ / "no-such-regexes.yaml").string();
  auto loaded = UapClassifier::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(path), std::string::npos)
      << loaded.status();
}

TEST_F(UapClassifierFileTest, BadYamlNamesThePath) {
  const std::string path =
      Write("bad.yaml", "user_agent_parsers: [\n  - regex: 'unterminated\n");
  auto loaded = UapClassifier::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(path), std::string::npos)
      << loaded.status();
}

TEST_F(UapClassifierFileTest, MissingListNamesIt) {
  const std::string path =
      Write("no-os.yaml", "user_agent_parsers:\n  - regex: 'x'\n");
  auto loaded = UapClassifier::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(path), std::string::npos);
  EXPECT_NE(loaded.status().message().find("os_parsers"), std::string::npos)
      << loaded.status();
}

TEST_F(UapClassifierFileTest, UnsupportedRegexNamesTheEntry) {
  // A lookahead: RE2 has none.
  const std::string path = Write("lookahead.yaml", R"(
user_agent_parsers:
  - regex: 'ok'
  - regex: 'Foo(?!Bar)'
os_parsers:
  - regex: 'x'
)");
  auto loaded = UapClassifier::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(path), std::string::npos);
  EXPECT_NE(loaded.status().message().find("user_agent_parsers[1]"),
            std::string::npos)
      << loaded.status();
}

}  // namespace
}  // namespace shopstream
