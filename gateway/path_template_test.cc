#include "gateway/path_template.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::IsEmpty;
using ::testing::Optional;

PathTemplate MustParse(absl::string_view text) {
  absl::StatusOr<PathTemplate> parsed = PathTemplate::Parse(text);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : *PathTemplate::Parse("/");
}

TEST(PathTemplateTest, LiteralMatchesOnlyItself) {
  const PathTemplate events = MustParse("/v1/events");
  EXPECT_THAT(events.Match("/v1/events"), Optional(IsEmpty()));
  EXPECT_EQ(events.Match("/v1/events/"), std::nullopt);
  EXPECT_EQ(events.Match("/v1/event"), std::nullopt);
  EXPECT_EQ(events.Match("/v1/events/x"), std::nullopt);
  EXPECT_EQ(events.Match("/v1"), std::nullopt);
  EXPECT_EQ(events.Match("v1/events"), std::nullopt);
}

TEST(PathTemplateTest, VerbIsPartOfTheMatch) {
  const PathTemplate events = MustParse("/v1/events");
  const PathTemplate batch = MustParse("/v1/events:batch");
  EXPECT_EQ(batch.verb(), "batch");
  EXPECT_EQ(events.Match("/v1/events:batch"), std::nullopt);
  EXPECT_EQ(batch.Match("/v1/events"), std::nullopt);
  EXPECT_EQ(batch.Match("/v1/events:other"), std::nullopt);
  EXPECT_EQ(batch.Match("/v1/events:batch/x"), std::nullopt);
  EXPECT_THAT(batch.Match("/v1/events:batch"), Optional(IsEmpty()));
}

TEST(PathTemplateTest, VariableCapturesOneDecodedSegment) {
  const PathTemplate summary = MustParse("/v1/shops/{shop_id}/summary");
  EXPECT_THAT(summary.Match("/v1/shops/abc/summary"),
              Optional(ElementsAre(PathVariable{"shop_id", "abc"})));
  EXPECT_THAT(summary.Match("/v1/shops/a%20b%2Fc/summary"),
              Optional(ElementsAre(PathVariable{"shop_id", "a b/c"})));
  EXPECT_EQ(summary.Match("/v1/shops//summary"), std::nullopt);
  EXPECT_EQ(summary.Match("/v1/shops/a/b/summary"), std::nullopt);
  EXPECT_THAT(summary.VariableFieldPaths(), ElementsAre("shop_id"));
}

TEST(PathTemplateTest, ExplicitSingleWildcardVariable) {
  const PathTemplate item = MustParse("/v1/items/{item.id=*}");
  EXPECT_THAT(item.Match("/v1/items/42"),
              Optional(ElementsAre(PathVariable{"item.id", "42"})));
  EXPECT_EQ(item.Match("/v1/items/42/x"), std::nullopt);
}

TEST(PathTemplateTest, MultiSegmentVariableTakesTheRest) {
  const PathTemplate files = MustParse("/v1/{name=files/**}");
  EXPECT_THAT(files.Match("/v1/files/a/b/c"),
              Optional(ElementsAre(PathVariable{"name", "files/a/b/c"})));
  EXPECT_EQ(files.Match("/v1/other/a"), std::nullopt);

  const PathTemplate rest = MustParse("/static/{path=**}");
  EXPECT_THAT(rest.Match("/static/css/site.css"),
              Optional(ElementsAre(PathVariable{"path", "css/site.css"})));
}

TEST(PathTemplateTest, VerbAfterVariable) {
  const PathTemplate cancel = MustParse("/v1/orders/{id}:cancel");
  EXPECT_THAT(cancel.Match("/v1/orders/7:cancel"),
              Optional(ElementsAre(PathVariable{"id", "7"})));
  EXPECT_EQ(cancel.Match("/v1/orders/7"), std::nullopt);
}

TEST(PathTemplateTest, SeveralVariablesInOrder) {
  const PathTemplate pair = MustParse("/v1/{a}/x/{b.c}");
  EXPECT_THAT(
      pair.Match("/v1/1/x/2"),
      Optional(ElementsAre(PathVariable{"a", "1"}, PathVariable{"b.c", "2"})));
  EXPECT_EQ(pair.LiteralSegmentCount(), 2);
}

TEST(PathTemplateTest, RootTemplate) {
  const PathTemplate root = MustParse("/");
  EXPECT_THAT(root.Match("/"), Optional(IsEmpty()));
  EXPECT_EQ(root.Match("/x"), std::nullopt);
}

TEST(PathTemplateTest, RejectsMalformedTemplates) {
  for (absl::string_view bad :
       {"", "v1/events", "/v1/", "/v1//x", "/v1/{id", "/v1/{}", "/v1/{1a}",
        "/v1/{a.}", "/v1/{a}/{a}", "/v1/**/x", "/v1/x*",
        "/v1/events:", "/v1/{a={b}}", "/v1/a:b/c"}) {
    EXPECT_FALSE(PathTemplate::Parse(bad).ok()) << bad;
  }
}

TEST(PercentDecodeTest, DecodesEscapesAndKeepsBadOnes) {
  EXPECT_EQ(PercentDecode("a%2Fb%20c"), "a/b c");
  EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
  EXPECT_EQ(PercentDecode("a+b"), "a+b");
  EXPECT_EQ(PercentDecode("a+b", /*plus_as_space=*/true), "a b");
  EXPECT_EQ(PercentDecode("2025-10-02T00%3A00%3A00%2B02%3A00"),
            "2025-10-02T00:00:00+02:00");
}

}  // namespace
}  // namespace shopstream::gateway
