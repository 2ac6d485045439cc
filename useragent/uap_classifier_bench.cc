// Prints what one Classify costs, cold (every User-Agent new: the parsers
// run) and warm (answered from the cache), in CPU time per call.
//   uap_classifier_bench [regexes.yaml]
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "useragent/uap_classifier.h"

namespace {

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path =
      argc > 1 ? argv[1] : "/usr/share/uap-core/regexes.yaml";
  auto loaded = shopstream::UapClassifier::Load(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(loaded.status().message()).c_str());
    return 1;
  }
  const shopstream::UapClassifier& classifier = **loaded;
  const std::vector<std::string> bases = {
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
      "like Gecko) Chrome/120.0.0.0 Safari/537.36",
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) "
      "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 "
      "Mobile/15E148 Safari/604.1",
      "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 "
      "Firefox/121.0",
      "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, "
      "like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile "
      "Safari/537.36",
      "Mozilla/5.0 (compatible; Googlebot/2.1; "
      "+http://www.google.com/bot.html)",
      "curl/8.4.0",
  };
  // Cold: a build number makes each one new to the cache, as a stream of
  // distinct User-Agents would (the regex sets' lazy DFAs warm up as they
  // would in a running service).
  constexpr int kCold = 20000;
  std::vector<std::string> cold;
  for (int i = 0; i < kCold; ++i) {
    cold.push_back(absl::StrCat(bases[i % bases.size()], " b/", i));
  }
  const double cold_start = CpuSeconds();
  size_t sink = 0;
  for (const std::string& user_agent : cold) {
    sink += classifier.ClassifyUncached(user_agent).browser.size();
  }
  const double cold_seconds = CpuSeconds() - cold_start;

  constexpr int kWarm = 1000000;
  for (const std::string& user_agent : bases) classifier.Classify(user_agent);
  const double warm_start = CpuSeconds();
  for (int i = 0; i < kWarm; ++i) {
    sink += classifier.Classify(bases[i % bases.size()]).os.size();
  }
  const double warm_seconds = CpuSeconds() - warm_start;

  std::printf("cold (uncached) Classify: %.2f us CPU per call over %d\n",
              cold_seconds * 1e6 / kCold, kCold);
  // uap-core's own test User-Agents, beside regexes.yaml: ~1900 kinds of
  // client, far more varied than a shop's traffic. The first pass also
  // pays for building the matchers' lazy DFAs.
  std::vector<std::string> varied;
  for (const char* name : {"test_ua.yaml", "test_os.yaml"}) {
    const std::filesystem::path file =
        std::filesystem::path(path).parent_path() / "tests" / name;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      const std::string key = "- user_agent_string: ";
      const size_t at = line.find(key);
      if (at == std::string::npos) continue;
      std::string value = line.substr(at + key.size());
      if (value.size() >= 2 &&
          (value.front() == '\'' || value.front() == '"')) {
        value = value.substr(1, value.size() - 2);
      }
      varied.push_back(value);
    }
  }
  for (int pass = 1; pass <= 2 && !varied.empty(); ++pass) {
    const double start = CpuSeconds();
    for (const std::string& user_agent : varied) {
      sink += classifier.ClassifyUncached(user_agent).browser.size();
    }
    std::printf(
        "uap-core test User-Agents, uncached, pass %d: %.2f us CPU "
        "per call over %zu\n",
        pass, (CpuSeconds() - start) * 1e6 / varied.size(), varied.size());
  }
  std::printf("warm (cached) Classify:   %.3f us CPU per call over %d\n",
              warm_seconds * 1e6 / kWarm, kWarm);
  return sink == 0 ? 2 : 0;
}
