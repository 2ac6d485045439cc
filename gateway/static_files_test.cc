#include "gateway/static_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(::testing::TempDir()) /
            ("static_files_test_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    root_ = base_ / "dist";
    WriteFile(root_ / "index.html", "<!doctype html><title>shop</title>");
    WriteFile(root_ / "assets" / "index-4f9a2c1b.js", "console.log(1)");
    WriteFile(root_ / "docs" / "index.html", "docs");
    WriteFile(root_ / ".env", "SECRET=1");
    WriteFile(base_ / "secret.txt", "outside");
    fs::create_symlink(base_ / "secret.txt", root_ / "link.txt");
    absl::StatusOr<StaticFiles> files = StaticFiles::Open(root_.string());
    ASSERT_TRUE(files.ok()) << files.status();
    files_.emplace(*std::move(files));
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_, root_;
  std::optional<StaticFiles> files_;
};

TEST_F(StaticFilesTest, OpenRefusesWhatIsNotADirectory) {
  EXPECT_FALSE(StaticFiles::Open((root_ / "index.html").string()).ok());
  absl::StatusOr<StaticFiles> missing =
      StaticFiles::Open((base_ / "nowhere").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("static_dir"), std::string::npos);
}

TEST_F(StaticFilesTest, RootAndDirectoriesServeTheirIndex) {
  EXPECT_EQ(files_->Resolve("/"), fs::canonical(root_ / "index.html"));
  EXPECT_EQ(files_->Resolve("/docs/"),
            fs::canonical(root_ / "docs/index.html"));
  EXPECT_EQ(files_->Resolve("/docs"), fs::canonical(root_ / "docs/index.html"));
  EXPECT_EQ(files_->Resolve("/assets/index-4f9a2c1b.js"),
            fs::canonical(root_ / "assets/index-4f9a2c1b.js"));
  EXPECT_EQ(files_->Resolve("/%61ssets/index-4f9a2c1b.js"),
            fs::canonical(root_ / "assets/index-4f9a2c1b.js"));
}

TEST_F(StaticFilesTest, NothingOutsideTheRootNorHidden) {
  EXPECT_EQ(files_->Resolve("/../secret.txt"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/assets/../../secret.txt"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/%2e%2e/secret.txt"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/..%2fsecret.txt"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/..\\secret.txt"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/link.txt"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/.env"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/index.html%00.js"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/missing.js"), std::nullopt);
  EXPECT_EQ(files_->Resolve("/assets"), std::nullopt);  // no index.html
  EXPECT_EQ(files_->Resolve("relative"), std::nullopt);
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableAndTheRestRevalidated) {
  EXPECT_EQ(StaticFiles::CacheControl("assets/index-4f9a2c1b.js"),
            "public, max-age=31536000, immutable");
  EXPECT_EQ(StaticFiles::CacheControl("index.html"), "no-cache");
  EXPECT_EQ(StaticFiles::CacheControl("favicon.svg"), "no-cache");
}

TEST_F(StaticFilesTest, ContentTypesByExtension) {
  EXPECT_EQ(StaticFiles::ContentType("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentType("assets/a-1.JS"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentType("assets/a-1.css"),
            "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentType("favicon.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::ContentType("font.woff2"), "font/woff2");
  EXPECT_EQ(StaticFiles::ContentType("README"), "application/octet-stream");
}

TEST_F(StaticFilesTest, RespondsWithBodyHeadersAndConditionalAnswers) {
  std::optional<StaticResponse> index = files_->Respond("GET", "/", "");
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->status, 200);
  EXPECT_EQ(index->body, "<!doctype html><title>shop</title>");
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  std::string etag;
  std::string cache_control;
  for (const auto& [name, value] : index->headers) {
    if (name == "ETag") etag = value;
    if (name == "Cache-Control") cache_control = value;
  }
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(cache_control, "no-cache");

  std::optional<StaticResponse> unchanged =
      files_->Respond("GET", "/index.html", "\"other\", " + etag);
  ASSERT_TRUE(unchanged.has_value());
  EXPECT_EQ(unchanged->status, 304);
  EXPECT_TRUE(unchanged->body.empty());

  std::optional<StaticResponse> post = files_->Respond("POST", "/", "");
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 405);

  EXPECT_EQ(files_->Respond("GET", "/missing", ""), std::nullopt);
  EXPECT_EQ(files_->Respond("POST", "/missing", ""), std::nullopt);
}

}  // namespace
}  // namespace shopstream::gateway
