#include "common/log.h"

#include <cstdio>
#include <mutex>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

ABSL_FLAG(bool, log_requests, false,
          "Log one line per request (with its x-request-id) in every service "
          "it touches; failures are logged either way.");

namespace shopstream {
namespace {

std::mutex& ServiceMutex() {
  static std::mutex mu;
  return mu;
}
std::string& ServiceName() {
  static std::string name = "shopstream";
  return name;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void WriteString(rapidjson::Writer<rapidjson::StringBuffer>& w,
                 absl::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

}  // namespace

bool LogRequests() { return absl::GetFlag(FLAGS_log_requests); }

void SetLogService(absl::string_view service) {
  std::lock_guard<std::mutex> lock(ServiceMutex());
  ServiceName() = std::string(service);
}

void Log(LogLevel level, absl::string_view message, const LogFields& fields) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("ts");
  WriteString(w, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                  absl::UTCTimeZone()));
  w.Key("level");
  w.String(LevelName(level));
  w.Key("service");
  {
    std::lock_guard<std::mutex> lock(ServiceMutex());
    WriteString(w, ServiceName());
  }
  w.Key("msg");
  WriteString(w, message);
  for (const auto& [key, value] : fields) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    WriteString(w, value);
  }
  w.EndObject();
  std::fprintf(stderr, "%s\n", buffer.GetString());
}

}  // namespace shopstream
