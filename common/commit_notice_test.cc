#include "common/commit_notice.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

TEST(CommitNoticeTest, RoundTripsIdsWithSeparatorsAndDigits) {
  const std::vector<std::string> ids = {"default", "a:b", "12:x", "", "é,\n"};
  const std::vector<std::string> payloads = EncodeCommitNotices(ids);
  ASSERT_THAT(payloads, SizeIs(1));
  EXPECT_EQ(payloads[0], "7:default3:a:b4:12:x0:4:é,\n");
  auto decoded = DecodeCommitNotice(payloads[0]);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, ids);
}

TEST(CommitNoticeTest, NoIdsMeansNoPayload) {
  EXPECT_TRUE(EncodeCommitNotices({}).empty());
}

TEST(CommitNoticeTest, SplitsLongListsBelowTheNotifyLimit) {
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(std::string(60, 'a' + i % 26));
  const std::vector<std::string> payloads = EncodeCommitNotices(ids);
  ASSERT_GT(payloads.size(), 1u);
  std::vector<std::string> all;
  for (const std::string& payload : payloads) {
    EXPECT_LE(payload.size(), kMaxCommitNoticeBytes);
    auto decoded = DecodeCommitNotice(payload);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    all.insert(all.end(), decoded->begin(), decoded->end());
  }
  EXPECT_EQ(all, ids);
}

TEST(CommitNoticeTest, RefusesPayloadsThatAreNotOurs) {
  EXPECT_FALSE(DecodeCommitNotice("default").ok());
  EXPECT_FALSE(DecodeCommitNotice("9:short").ok());
  EXPECT_FALSE(DecodeCommitNotice("x:abc").ok());
  EXPECT_THAT(*DecodeCommitNotice(""), ElementsAre());
}

}  // namespace
}  // namespace shopstream
