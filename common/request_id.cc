#include "common/request_id.h"

#include "absl/random/random.h"
#include "absl/strings/str_format.h"

namespace shopstream {

bool IsUsableRequestId(absl::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdBytes) return false;
  for (char c : id) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

std::string NewRequestId() {
  thread_local absl::BitGen bits;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(bits),
                         absl::Uniform<uint64_t>(bits));
}

std::string RequestIdOf(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kRequestIdKey);
  if (it == metadata.end()) return "";
  absl::string_view id(it->second.data(), it->second.size());
  return IsUsableRequestId(id) ? std::string(id) : "";
}

std::string RequestIdOf(const std::map<std::string, std::string>& metadata) {
  auto it = metadata.find(kRequestIdKey);
  if (it == metadata.end() || !IsUsableRequestId(it->second)) return "";
  return it->second;
}

}  // namespace shopstream
