#ifndef SHOPSTREAM_COMMON_LOG_H_
#define SHOPSTREAM_COMMON_LOG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace shopstream {

// One JSON object per line on stderr: {"ts","level","service","msg",...}.
// Abseil's logging is newer than the Abseil we build with, and glog does not
// write JSON lines, so this small writer is ours.
enum class LogLevel { kInfo, kWarning, kError };

using LogFields = std::vector<std::pair<std::string, std::string>>;

void SetLogService(absl::string_view service);
void Log(LogLevel level, absl::string_view message,
         const LogFields& fields = {});

// Whether every request gets a log line (flag --log_requests). Off by
// default: at tens of thousands of requests a second the lines would cost
// more than the requests. Failures are logged either way.
bool LogRequests();

inline void LogInfo(absl::string_view m, const LogFields& f = {}) {
  Log(LogLevel::kInfo, m, f);
}
inline void LogWarning(absl::string_view m, const LogFields& f = {}) {
  Log(LogLevel::kWarning, m, f);
}
inline void LogError(absl::string_view m, const LogFields& f = {}) {
  Log(LogLevel::kError, m, f);
}

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_LOG_H_
