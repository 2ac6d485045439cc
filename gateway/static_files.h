#ifndef SHOPSTREAM_GATEWAY_STATIC_FILES_H_
#define SHOPSTREAM_GATEWAY_STATIC_FILES_H_

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace shopstream::gateway {

struct StaticResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Serves the files under one directory (the dashboard's build) by GET and
// HEAD. Vite names everything under assets/ by content hash, so those may
// be cached for good; every other file (index.html above all) must be
// revalidated, or a browser would keep loading an old page's asset names.
class StaticFiles {
 public:
  // Fails unless `root` is a readable directory. `page_headers` go out
  // with every file (see page_security.h).
  static absl::StatusOr<StaticFiles> Open(
      const std::string& root,
      std::vector<std::pair<std::string, std::string>> page_headers = {});

  // The answer for `method` on `path` (no query string), or nullopt when no
  // file is there, so that the caller answers as for any unknown path.
  // `if_none_match` is the request's If-None-Match header, maybe empty.
  std::optional<StaticResponse> Respond(absl::string_view method,
                                        absl::string_view path,
                                        absl::string_view if_none_match) const;

  // The file under the root that `path` names; nullopt for paths that
  // leave the root (.. segments, symbolic links pointing out), hidden
  // files, directories without index.html and files that do not exist.
  std::optional<std::filesystem::path> Resolve(absl::string_view path) const;

  static absl::string_view ContentType(absl::string_view file_name);
  // `relative_path` is relative to the root, with '/' separators.
  static absl::string_view CacheControl(absl::string_view relative_path);

 private:
  StaticFiles(std::filesystem::path root,
              std::vector<std::pair<std::string, std::string>> page_headers)
      : root_(std::move(root)), page_headers_(std::move(page_headers)) {}

  std::filesystem::path root_;  // canonical
  std::vector<std::pair<std::string, std::string>> page_headers_;
};

}  // namespace shopstream::gateway

#endif  // SHOPSTREAM_GATEWAY_STATIC_FILES_H_
