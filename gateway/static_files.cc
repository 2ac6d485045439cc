#include "gateway/static_files.h"

#include <fstream>
#include <iterator>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/path_template.h"

namespace shopstream::gateway {

namespace fs = std::filesystem;

namespace {

constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kRevalidate[] = "no-cache";

bool IsInside(const fs::path& root, const fs::path& file) {
  auto [root_end, unused] =
      std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  return root_end == root.end();
}

// Changes whenever the file is replaced or rewritten, which is all a
// rebuild does.
std::string EntityTag(const fs::path& file, uintmax_t size) {
  std::error_code error;
  const auto modified = fs::last_write_time(file, error);
  const auto ticks = error ? 0 : modified.time_since_epoch().count();
  return absl::StrCat("\"", absl::Hex(size), "-", absl::Hex(ticks), "\"");
}

bool MatchesEntityTag(absl::string_view if_none_match, absl::string_view tag) {
  for (absl::string_view candidate : absl::StrSplit(if_none_match, ',')) {
    candidate = absl::StripAsciiWhitespace(candidate);
    absl::ConsumePrefix(&candidate, "W/");
    if (candidate == "*" || candidate == tag) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<StaticFiles> StaticFiles::Open(
    const std::string& root,
    std::vector<std::pair<std::string, std::string>> page_headers) {
  std::error_code error;
  fs::path canonical = fs::canonical(root, error);
  if (error || !fs::is_directory(canonical, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("static_dir: \"", root, "\" is not a directory"));
  }
  return StaticFiles(std::move(canonical), std::move(page_headers));
}

std::optional<fs::path> StaticFiles::Resolve(absl::string_view path) const {
  const std::string decoded = PercentDecode(path);
  if (decoded.empty() || decoded.front() != '/' ||
      decoded.find('\0') != std::string::npos ||
      decoded.find('\\') != std::string::npos) {
    return std::nullopt;
  }
  fs::path file = root_;
  for (absl::string_view segment :
       absl::StrSplit(decoded, '/', absl::SkipEmpty())) {
    // Hidden files and "..": never part of a build, always an attempt.
    if (absl::StartsWith(segment, ".")) return std::nullopt;
    file /= fs::path(std::string(segment));
  }
  std::error_code error;
  if (fs::is_directory(file, error)) file /= "index.html";
  const fs::path canonical = fs::canonical(file, error);
  if (error || !IsInside(root_, canonical) ||
      !fs::is_regular_file(canonical, error)) {
    return std::nullopt;
  }
  return canonical;
}

std::optional<StaticResponse> StaticFiles::Respond(
    absl::string_view method, absl::string_view path,
    absl::string_view if_none_match) const {
  std::optional<fs::path> file = Resolve(path);
  if (!file.has_value()) return std::nullopt;
  if (method != "GET" && method != "HEAD") {
    return StaticResponse{405,
                          "application/json",
                          absl::StrCat(R"({"error":"method )", method,
                                       R"( not allowed for static files"})"),
                          {{"Allow", "GET, HEAD"}}};
  }
  const std::string relative = file->lexically_relative(root_).generic_string();
  std::error_code error;
  const uintmax_t size = fs::file_size(*file, error);
  if (error) return std::nullopt;
  StaticResponse response;
  response.content_type = std::string(ContentType(relative));
  const std::string tag = EntityTag(*file, size);
  response.headers = {{"Cache-Control", std::string(CacheControl(relative))},
                      {"ETag", tag},
                      {"X-Content-Type-Options", "nosniff"}};
  response.headers.insert(response.headers.end(), page_headers_.begin(),
                          page_headers_.end());
  if (!if_none_match.empty() && MatchesEntityTag(if_none_match, tag)) {
    response.status = 304;
    return response;
  }
  std::ifstream in(*file, std::ios::binary);
  response.body.assign(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return StaticResponse{500,
                          "application/json",
                          R"({"error":"cannot read a static file"})",
                          {}};
  }
  return response;
}

absl::string_view StaticFiles::ContentType(absl::string_view file_name) {
  const size_t dot = file_name.rfind('.');
  const std::string extension =
      dot == absl::string_view::npos
          ? ""
          : absl::AsciiStrToLower(file_name.substr(dot + 1));
  static constexpr std::pair<const char*, const char*> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"},
  };
  for (const auto& [known, type] : kTypes) {
    if (extension == known) return type;
  }
  return "application/octet-stream";
}

absl::string_view StaticFiles::CacheControl(absl::string_view relative_path) {
  return absl::StartsWith(relative_path, "assets/") ? kImmutable : kRevalidate;
}

}  // namespace shopstream::gateway
