#include "gateway/json_request_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/v1/ingest.pb.h"

// The request parser's own rules; the REST contract it keeps is in
// gateway/json_transcoder_test.cc.
namespace shopstream::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class JsonRequestParserTest : public ::testing::Test {
 protected:
  std::string EventError(const std::string& json) {
    v1::Event event;
    const absl::Status status = parser_.ParseMessage(json, &event);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << json << " -> " << status;
    return std::string(status.message());
  }

  JsonRequestParser parser_;
};

TEST_F(JsonRequestParserTest, MalformedJsonIsRefusedWhereverItIs) {
  // Values of unknown keys are read through, not skipped unchecked.
  EXPECT_EQ(EventError(R"({"colour":[1,,2]})"),
            "malformed JSON at offset 13: The JSON document has an improper "
            "structure: missing or superfluous commas, braces, missing keys, "
            "etc.");
  EXPECT_THAT(EventError(R"({"colour":{"a":NaN}})"),
              StartsWith("malformed JSON at offset 15: "));
  EXPECT_EQ(EventError(R"({"colour":01})"),
            "malformed JSON at offset 10: Invalid number.");
  EXPECT_EQ(EventError(R"({"colour":nul})"),
            "malformed JSON at offset 10: Invalid value.");
  EXPECT_EQ(EventError(R"({"colour":"\q"})"),
            "malformed JSON at offset 10: Invalid escape in string.");
  EXPECT_EQ(EventError("{\"colour\":\"ab\xff\"}"),
            "malformed JSON at offset 13: Invalid encoding in string.");
  EXPECT_THAT(EventError("{\"event_type\":\"a\x01\"}"),
              StartsWith("malformed JSON at offset "));
  EXPECT_EQ(EventError(R"({"event_type":"a"}})"),
            "malformed JSON at offset 18: Content after the end of the "
            "document.");
  EXPECT_EQ(EventError(R"({"event_type":"a"} {})"),
            "malformed JSON at offset 19: Content after the end of the "
            "document.");
  EXPECT_THAT(EventError(R"({"event_type":"a",})"),
              StartsWith("malformed JSON at offset 18: "));
  EXPECT_THAT(EventError(""), HasSubstr("The document is empty."));
  // A body that is one value, not an object, is read through first.
  EXPECT_EQ(EventError("1e999"), "malformed JSON at offset 0: number too big");
  EXPECT_EQ(EventError("1 x"),
            "malformed JSON at offset 0: Content after the end of the "
            "document.");
  EXPECT_EQ(EventError("null"), "request body must be a JSON object");
  // A number that ends the input is cut short, not too big.
  EXPECT_THAT(EventError(R"({"screen_width":5)"),
              StartsWith("malformed JSON at offset "));
}

TEST_F(JsonRequestParserTest, NestingIsLimitedEverywhere) {
  auto nested = [](int levels) {
    return absl::StrCat(std::string(levels, '['), std::string(levels, ']'));
  };
  // The body's object is the first level.
  const int inner = JsonRequestParser::kMaxDepth - 1;
  v1::Event event;
  EXPECT_TRUE(
      parser_.ParseMessage(absl::StrCat(R"({"x":)", nested(inner), "}"), &event)
          .ok());
  EXPECT_EQ(EventError(absl::StrCat(R"({"x":)", nested(inner + 1), "}")),
            "malformed JSON: nested deeper than 64 levels");
  // Too deep beats the wrong type, and a body that is no object.
  EXPECT_EQ(EventError(absl::StrCat(R"({"product_id":)", nested(100), "}")),
            "malformed JSON: nested deeper than 64 levels");
  EXPECT_EQ(EventError(nested(100)),
            "malformed JSON: nested deeper than 64 levels");
  EXPECT_EQ(EventError(nested(3)), "request body must be a JSON object");
  // Too deep beats any other fault of the body, wherever it is, as when
  // nesting was counted before parsing.
  EXPECT_EQ(EventError(absl::StrCat(R"({"x":)", std::string(100, '{'),
                                    std::string(100, '}'), "}")),
            "malformed JSON: nested deeper than 64 levels");
  EXPECT_EQ(
      EventError(absl::StrCat(R"({"product_id":5,"x":)", nested(100), "}")),
      "malformed JSON: nested deeper than 64 levels");
}

TEST_F(JsonRequestParserTest, IntegersKeepTheirRangeAndDoublesTheirValue) {
  v1::Event event;
  ASSERT_TRUE(parser_.ParseMessage(R"({"screen_width":3.9e2})", &event).ok());
  EXPECT_EQ(event.screen_width(), 390);
  EXPECT_EQ(EventError(R"({"screen_width":18446744073709551616})"),
            "screen_width: 1.84467e+19 is out of range for int32");
  EXPECT_EQ(EventError(R"({"screen_width":-9223372036854775809})"),
            "screen_width: -9223372036854775808 is out of range for int32");
  EXPECT_EQ(EventError(R"({"screen_width":"390"})"),
            "screen_width: expected a number, got string");
  // An integer past 64 bits is still a number a double holds.
  ASSERT_TRUE(
      parser_.ParseMessage(R"({"order_amount":18446744073709551616})", &event)
          .ok());
  EXPECT_EQ(event.order_amount(), 18446744073709551616.0);
  EXPECT_EQ(EventError(R"({"properties":{"a":1e999}})"),
            "properties.a: number too big (malformed JSON at offset 19)");
}

TEST_F(JsonRequestParserTest, AShortBodyAfterALongOneReadsOnlyItself) {
  // The thread's parser and buffer are reused; nothing of the longer body
  // may show through.
  v1::Event event;
  const std::string long_body = absl::StrCat(
      R"({"event_type":"page_view","page":")", std::string(5000, 'p'), "\"}");
  ASSERT_TRUE(parser_.ParseMessage(long_body, &event).ok());
  EXPECT_THAT(EventError(R"({"event_type":"page_view")"),
              StartsWith("malformed JSON at offset "));
  v1::Event short_event;
  ASSERT_TRUE(parser_.ParseMessage(R"({"page":"/"})", &short_event).ok());
  EXPECT_EQ(short_event.page(), "/");
}

}  // namespace
}  // namespace shopstream::gateway
