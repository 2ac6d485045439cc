#include "gateway/json_transcoder.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "shopstream/v1/analytics.pb.h"
#include "shopstream/v1/ingest.pb.h"

namespace shopstream::gateway {
namespace {

using ::testing::HasSubstr;

// Every field kind the transcoder handles, in a message of its own.
constexpr char kAllKindsProto[] = R"pb(
  name: "all_kinds.proto"
  package: "test"
  syntax: "proto3"
  dependency: "google/protobuf/timestamp.proto"
  enum_type {
    name: "Color"
    value { name: "COLOR_UNSPECIFIED" number: 0 }
    value { name: "RED" number: 1 }
    value { name: "GREEN" number: 2 }
  }
  message_type {
    name: "Inner"
    field {
      name: "label"
      number: 1
      type: TYPE_STRING
      label: LABEL_OPTIONAL
      json_name: "label"
    }
  }
  message_type {
    name: "AllKinds"
    field {
      name: "i32"
      number: 1
      type: TYPE_INT32
      label: LABEL_OPTIONAL
      json_name: "i32"
    }
    field {
      name: "i64"
      number: 2
      type: TYPE_INT64
      label: LABEL_OPTIONAL
      json_name: "i64"
    }
    field {
      name: "u32"
      number: 3
      type: TYPE_UINT32
      label: LABEL_OPTIONAL
      json_name: "u32"
    }
    field {
      name: "u64"
      number: 4
      type: TYPE_UINT64
      label: LABEL_OPTIONAL
      json_name: "u64"
    }
    field {
      name: "f"
      number: 5
      type: TYPE_FLOAT
      label: LABEL_OPTIONAL
      json_name: "f"
    }
    field {
      name: "d"
      number: 6
      type: TYPE_DOUBLE
      label: LABEL_OPTIONAL
      json_name: "d"
    }
    field {
      name: "flag"
      number: 7
      type: TYPE_BOOL
      label: LABEL_OPTIONAL
      json_name: "flag"
    }
    field {
      name: "text_value"
      number: 8
      type: TYPE_STRING
      label: LABEL_OPTIONAL
      json_name: "textValue"
    }
    field {
      name: "data"
      number: 9
      type: TYPE_BYTES
      label: LABEL_OPTIONAL
      json_name: "data"
    }
    field {
      name: "color"
      number: 10
      type: TYPE_ENUM
      type_name: ".test.Color"
      label: LABEL_OPTIONAL
      json_name: "color"
    }
    field {
      name: "inner"
      number: 11
      type: TYPE_MESSAGE
      type_name: ".test.Inner"
      label: LABEL_OPTIONAL
      json_name: "inner"
    }
    field {
      name: "when"
      number: 12
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.Timestamp"
      label: LABEL_OPTIONAL
      json_name: "when"
    }
    field {
      name: "numbers"
      number: 13
      type: TYPE_INT64
      label: LABEL_REPEATED
      json_name: "numbers"
    }
    field {
      name: "inners"
      number: 14
      type: TYPE_MESSAGE
      type_name: ".test.Inner"
      label: LABEL_REPEATED
      json_name: "inners"
    }
    field {
      name: "counts"
      number: 15
      type: TYPE_MESSAGE
      type_name: ".test.AllKinds.CountsEntry"
      label: LABEL_REPEATED
      json_name: "counts"
    }
    field {
      name: "maybe"
      number: 16
      type: TYPE_INT32
      label: LABEL_OPTIONAL
      json_name: "maybe"
      proto3_optional: true
      oneof_index: 0
    }
    field {
      name: "colors"
      number: 17
      type: TYPE_ENUM
      type_name: ".test.Color"
      label: LABEL_REPEATED
      json_name: "colors"
    }
    nested_type {
      name: "CountsEntry"
      field {
        name: "key"
        number: 1
        type: TYPE_STRING
        label: LABEL_OPTIONAL
        json_name: "key"
      }
      field {
        name: "value"
        number: 2
        type: TYPE_INT32
        label: LABEL_OPTIONAL
        json_name: "value"
      }
      options { map_entry: true }
    }
    oneof_decl { name: "_maybe" }
  }
)pb";

class JsonTranscoderTest : public ::testing::Test {
 protected:
  JsonTranscoderTest()
      : pool_(google::protobuf::DescriptorPool::generated_pool()) {
    google::protobuf::FileDescriptorProto file;
    EXPECT_TRUE(
        google::protobuf::TextFormat::ParseFromString(kAllKindsProto, &file));
    EXPECT_NE(pool_.BuildFile(file), nullptr);
    factory_.SetDelegateToGeneratedFactory(true);
  }

  std::unique_ptr<google::protobuf::Message> NewAllKinds() {
    return std::unique_ptr<google::protobuf::Message>(
        factory_.GetPrototype(pool_.FindMessageTypeByName("test.AllKinds"))
            ->New());
  }

  std::string ParseError(absl::string_view json) {
    auto message = NewAllKinds();
    const absl::Status status = transcoder_.ParseMessage(json, message.get());
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << json << " -> " << status;
    return std::string(status.message());
  }

  std::string RoundTrip(absl::string_view json) {
    auto message = NewAllKinds();
    const absl::Status status = transcoder_.ParseMessage(json, message.get());
    EXPECT_TRUE(status.ok()) << status;
    return transcoder_.Print(*message);
  }

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
  JsonTranscoder transcoder_;
};

TEST_F(JsonTranscoderTest, ParsesTheCaseStudyEvent) {
  shopstream::v1::Event event;
  ASSERT_TRUE(transcoder_
                  .ParseMessage(R"({"event_type":"page_view",
                    "timestamp":"2025-10-02T10:30:00Z",
                    "product_id":"prod-123", "order_amount": 299.99})",
                                &event)
                  .ok());
  EXPECT_EQ(event.event_type(), "page_view");
  EXPECT_EQ(event.product_id(), "prod-123");
  EXPECT_EQ(event.timestamp().seconds(), 1759401000);
  EXPECT_EQ(event.timestamp().nanos(), 0);
  ASSERT_TRUE(event.has_order_amount());
  EXPECT_EQ(event.order_amount(), 299.99);
}

TEST_F(JsonTranscoderTest, AcceptsJsonNamesAndIgnoresUnknownKeys) {
  shopstream::v1::Event event;
  ASSERT_TRUE(transcoder_
                  .ParseMessage(R"({"eventType":"purchase","shopId":"s",
                    "somethingNew":{"a":[1,2]},"orderAmount":10})",
                                &event)
                  .ok());
  EXPECT_EQ(event.event_type(), "purchase");
  EXPECT_EQ(event.shop_id(), "s");
  EXPECT_EQ(event.order_amount(), 10);
}

TEST_F(JsonTranscoderTest, NamesTheKeysItLeftOutByTheirPath) {
  shopstream::v1::IngestBatchRequest batch;
  std::vector<std::string> ignored;
  ASSERT_TRUE(transcoder_
                  .ParseMessage(R"({"events":[{"event_type":"page_view"},
                    {"colour":"red","properties":{"free":"form"}}],
                    "dry_run":true})",
                                &batch, &ignored)
                  .ok());
  // Map keys are data, not fields.
  EXPECT_EQ(ignored, (std::vector<std::string>{"events[1].colour", "dry_run"}));

  std::string many = "{";
  for (int i = 0; i < 30; ++i) absl::StrAppend(&many, "\"k", i, "\":1,");
  many += "\"event_type\":\"page_view\"}";
  shopstream::v1::Event event;
  ignored.clear();
  ASSERT_TRUE(transcoder_.ParseMessage(many, &event, &ignored).ok());
  EXPECT_EQ(ignored.size(), JsonTranscoder::kMaxIgnoredFieldsNamed);
  EXPECT_EQ(event.event_type(), "page_view");
}

TEST_F(JsonTranscoderTest, NullLeavesFieldsUnset) {
  shopstream::v1::Event event;
  ASSERT_TRUE(transcoder_
                  .ParseMessage(R"({"order_amount":null,"timestamp":null,
                    "product_id":null})",
                                &event)
                  .ok());
  EXPECT_FALSE(event.has_order_amount());
  EXPECT_FALSE(event.has_timestamp());
  EXPECT_EQ(event.product_id(), "");
}

TEST_F(JsonTranscoderTest, TypeErrorsNameTheField) {
  shopstream::v1::Event event;
  absl::Status status =
      transcoder_.ParseMessage(R"({"product_id":123})", &event);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(), "product_id: expected a string, got number");

  status = transcoder_.ParseMessage(R"({"timestamp":"yesterday"})", &event);
  EXPECT_EQ(status.message(),
            R"(timestamp: cannot parse "yesterday" as an RFC 3339 time)");

  status = transcoder_.ParseMessage(R"({"order_amount":"12.5"})", &event);
  EXPECT_EQ(status.message(), "order_amount: expected a number, got string");
}

TEST_F(JsonTranscoderTest, ErrorsInsideArraysCarryTheIndex) {
  shopstream::v1::IngestBatchRequest batch;
  const absl::Status status = transcoder_.ParseMessage(
      R"({"events":[{},{},{},{"order_amount":"x"}]})", &batch);
  EXPECT_EQ(status.message(),
            "events[3].order_amount: expected a number, got string");
  EXPECT_EQ(transcoder_.ParseMessage(R"({"events":{}})", &batch).message(),
            "events: expected an array, got object");
  EXPECT_EQ(transcoder_.ParseMessage(R"({"events":[1]})", &batch).message(),
            "events[0]: expected an object, got number");
}

TEST_F(JsonTranscoderTest, MalformedJsonAndNonObjects) {
  shopstream::v1::Event event;
  absl::Status status = transcoder_.ParseMessage(R"({"a":)", &event);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("malformed JSON at offset 5: "));
  EXPECT_EQ(transcoder_.ParseMessage("[1]", &event).message(),
            "request body must be a JSON object");
  EXPECT_THAT(std::string(transcoder_.ParseMessage("{} x", &event).message()),
              HasSubstr("malformed JSON at offset 3"));
  EXPECT_THAT(
      std::string(transcoder_.ParseMessage(R"({"d":NaN})", &event).message()),
      HasSubstr("malformed JSON"));
  EXPECT_THAT(
      std::string(
          transcoder_.ParseMessage("{\"a\":\"\xff\"}", &event).message()),
      HasSubstr("malformed JSON"));
}

TEST_F(JsonTranscoderTest, TimestampNeedsAnOffset) {
  shopstream::v1::Event event;
  EXPECT_FALSE(
      transcoder_.ParseMessage(R"({"timestamp":"2025-10-02T10:30:00"})", &event)
          .ok());
  EXPECT_FALSE(
      transcoder_.ParseMessage(R"({"timestamp":"infinite-future"})", &event)
          .ok());
  EXPECT_EQ(
      transcoder_.ParseMessage(R"({"timestamp":1759401000})", &event).message(),
      "timestamp: expected a string, got number");
  ASSERT_TRUE(transcoder_
                  .ParseMessage(
                      R"({"timestamp":"2025-10-02T12:30:00.25+02:00"})", &event)
                  .ok());
  EXPECT_EQ(event.timestamp().seconds(), 1759401000);
  EXPECT_EQ(event.timestamp().nanos(), 250000000);
}

TEST_F(JsonTranscoderTest, BodyBoundToAFieldNamesErrorsRelativeToIt) {
  shopstream::v1::IngestRequest request;
  const google::protobuf::FieldDescriptor* event_field =
      request.GetDescriptor()->FindFieldByName("event");
  absl::Status status =
      transcoder_.ParseField(R"({"event_type":7})", event_field, &request);
  EXPECT_EQ(status.message(), "event_type: expected a string, got number");
  EXPECT_EQ(transcoder_.ParseField("\"x\"", event_field, &request).message(),
            "request body must be a JSON object");
  ASSERT_TRUE(
      transcoder_
          .ParseField(R"({"event_type":"page_view"})", event_field, &request)
          .ok());
  EXPECT_EQ(request.event().event_type(), "page_view");
}

TEST_F(JsonTranscoderTest, IntegersAreChecked) {
  EXPECT_EQ(ParseError(R"({"i32":1.5})"), "i32: expected an integer, got 1.5");
  EXPECT_EQ(ParseError(R"({"i32":3000000000})"),
            "i32: 3000000000 is out of range for int32");
  EXPECT_EQ(ParseError(R"({"u32":-1})"), "u32: -1 is out of range for uint32");
  EXPECT_EQ(ParseError(R"({"i64":9223372036854775808})"),
            "i64: 9223372036854775808 is out of range for int64");
  EXPECT_EQ(ParseError(R"({"i32":"5"})"), "i32: expected a number, got string");
  EXPECT_EQ(ParseError(R"({"i64":"5x"})"),
            R"(i64: cannot parse "5x" as an integer)");
  EXPECT_EQ(ParseError(R"({"i64":true})"),
            "i64: expected a number, got boolean");
  EXPECT_EQ(ParseError(R"({"numbers":[1,"x"]})"),
            R"(numbers[1]: cannot parse "x" as an integer)");
  EXPECT_EQ(ParseError(R"({"f":1e300})"),
            "f: 1e+300 is out of range for float");
}

// A parser once read "0e308" as about 1e289 (RapidJSON 1.1's full-precision
// conversion, found by the json_to_proto fuzzer).
TEST_F(JsonTranscoderTest, NumbersAreReadExactly) {
  shopstream::v1::Event event;
  for (const char* zero : {"0e308", "0.0e309", "-0e300", "0.000e-500"}) {
    ASSERT_TRUE(transcoder_
                    .ParseMessage(
                        absl::StrCat(R"({"order_amount":)", zero, "}"), &event)
                    .ok())
        << zero;
    EXPECT_EQ(event.order_amount(), 0) << zero;
  }
  ASSERT_TRUE(
      transcoder_.ParseMessage(R"({"order_amount":1e-400})", &event).ok());
  EXPECT_EQ(event.order_amount(), 0);
  ASSERT_TRUE(
      transcoder_
          .ParseMessage(R"({"order_amount":2.2250738585072011e-308})", &event)
          .ok());
  EXPECT_EQ(event.order_amount(), 2.2250738585072011e-308);
  ASSERT_TRUE(
      transcoder_.ParseMessage(R"({"order_amount":19.99})", &event).ok());
  EXPECT_EQ(event.order_amount(), 19.99);
  // The field is named, also inside arrays and after nested objects.
  EXPECT_EQ(ParseError(R"({"d":1.8e308})"),
            "d: number too big (malformed JSON at offset 5)");
  EXPECT_THAT(ParseError(R"({"nested":{"i32":1},"repeated_d":[1,-1e400]})"),
              HasSubstr("repeated_d: number too big"));
  EXPECT_THAT(ParseError(R"({"list":[{"a":1},1e400]})"),
              HasSubstr("list: number too big"));
  EXPECT_THAT(RoundTrip(R"({"i64":-9223372036854775808,"d":-0})"),
              HasSubstr(R"("i64":-9223372036854775808)"));
  EXPECT_EQ(RoundTrip(R"({"i64":-9223372036854775808,"d":-0})"),
            RoundTrip(R"({"i64":"-9223372036854775808","d":0})"));
}

TEST_F(JsonTranscoderTest, OtherTypeErrors) {
  EXPECT_EQ(ParseError(R"({"flag":"true"})"),
            "flag: expected true or false, got string");
  EXPECT_EQ(ParseError(R"({"color":"BLUE"})"),
            R"(color: unknown value "BLUE" for enum test.Color)");
  EXPECT_EQ(ParseError(R"({"color":{}})"),
            "color: expected an enum name or number, got object");
  EXPECT_EQ(ParseError(R"({"inner":"x"})"),
            "inner: expected an object, got string");
  EXPECT_EQ(ParseError(R"({"inner":{"label":false}})"),
            "inner.label: expected a string, got boolean");
  EXPECT_EQ(ParseError(R"({"data":"!!"})"), "data: expected base64 data");
  EXPECT_EQ(ParseError(R"({"counts":{"a":"x"}})"),
            "counts.a: expected a number, got string");
  EXPECT_EQ(ParseError(R"({"textValue":[]})"),
            "textValue: expected a string, got array");
  // Escapes that decode to a lone surrogate are not text.
  EXPECT_EQ(ParseError(R"({"inner":{"label":"a\udc00"}})"),
            "inner.label: not valid UTF-8");
  EXPECT_EQ(ParseError(R"({"inners":[{"label":"ok"},{"label":"\udfffx"}]})"),
            "inners[1].label: not valid UTF-8");
  EXPECT_THAT(RoundTrip(R"({"inner":{"label":"\ud83d\uded2"}})"),
              HasSubstr("\xF0\x9F\x9B\x92"));
}

TEST_F(JsonTranscoderTest, PrintsEveryFieldWithDefaults) {
  EXPECT_EQ(
      RoundTrip("{}"),
      R"({"i32":0,"i64":0,"u32":0,"u64":0,"f":0.0,"d":0.0,)"
      R"("flag":false,"text_value":"","data":"",)"
      R"("color":"COLOR_UNSPECIFIED","inner":null,"when":null,)"
      R"("numbers":[],"inners":[],"counts":{},"maybe":null,"colors":[]})");
}

TEST_F(JsonTranscoderTest, RoundTripsEveryKind) {
  EXPECT_EQ(
      RoundTrip(R"({"i32":-5,"i64":"9007199254740993","u32":4000000000,)"
                R"("u64":18446744073709551615,"f":0.1,"d":75.5,"flag":true,)"
                R"("textValue":"h\u00e9 \"q\"","data":"AAH/","color":2,)"
                R"("inner":{"label":"x"},"when":"2025-10-02T10:30:00.5Z",)"
                R"("numbers":[1,2e0,"3"],"inners":[{},{"label":"y"}],)"
                R"("counts":{"k":7},"maybe":0,"colors":["RED",2]})"),
      R"({"i32":-5,"i64":9007199254740993,"u32":4000000000,)"
      R"("u64":18446744073709551615,"f":0.1,"d":75.5,"flag":true,)"
      R"("text_value":"hé \"q\"","data":"AAH/","color":"GREEN",)"
      R"("inner":{"label":"x"},"when":"2025-10-02T10:30:00.5Z",)"
      R"("numbers":[1,2,3],"inners":[{"label":""},{"label":"y"}],)"
      R"("counts":{"k":7},"maybe":0,"colors":["RED","GREEN"]})");
}

TEST_F(JsonTranscoderTest, SetsFieldsFromStrings) {
  auto message = NewAllKinds();
  ASSERT_TRUE(transcoder_.SetFieldFromString("i64", "-12", message.get()).ok());
  ASSERT_TRUE(
      transcoder_.SetFieldFromString("inner.label", "a b", message.get()).ok());
  ASSERT_TRUE(
      transcoder_.SetFieldFromString("color", "RED", message.get()).ok());
  ASSERT_TRUE(
      transcoder_.SetFieldFromString("textValue", "t", message.get()).ok());
  ASSERT_TRUE(
      transcoder_.SetFieldFromString("numbers", "1", message.get()).ok());
  ASSERT_TRUE(
      transcoder_.SetFieldFromString("numbers", "2", message.get()).ok());
  ASSERT_TRUE(
      transcoder_.SetFieldFromString("flag", "true", message.get()).ok());
  ASSERT_TRUE(transcoder_.SetFieldFromString("d", "2.5", message.get()).ok());
  ASSERT_TRUE(
      transcoder_
          .SetFieldFromString("when", "2025-10-02T00:00:00Z", message.get())
          .ok());
  const std::string json = transcoder_.Print(*message);
  EXPECT_THAT(json, HasSubstr(R"("i64":-12)"));
  EXPECT_THAT(json, HasSubstr(R"("inner":{"label":"a b"})"));
  EXPECT_THAT(json, HasSubstr(R"("color":"RED")"));
  EXPECT_THAT(json, HasSubstr(R"("text_value":"t")"));
  EXPECT_THAT(json, HasSubstr(R"("numbers":[1,2])"));
  EXPECT_THAT(json, HasSubstr(R"("flag":true)"));
  EXPECT_THAT(json, HasSubstr(R"("d":2.5)"));
  EXPECT_THAT(json, HasSubstr(R"("when":"2025-10-02T00:00:00Z")"));
}

TEST_F(JsonTranscoderTest, SetFieldFromStringErrors) {
  auto message = NewAllKinds();
  absl::Status status =
      transcoder_.SetFieldFromString("nope", "1", message.get());
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  status = transcoder_.SetFieldFromString("i32", "abc", message.get());
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message(), R"(i32: cannot parse "abc" as an integer)");
  EXPECT_EQ(
      transcoder_.SetFieldFromString("when", "today", message.get()).message(),
      R"(when: cannot parse "today" as an RFC 3339 time)");
  EXPECT_EQ(transcoder_.SetFieldFromString("d", "nan", message.get()).message(),
            R"(d: cannot parse "nan" as a number)");
  EXPECT_TRUE(absl::IsInvalidArgument(
      transcoder_.SetFieldFromString("inner", "x", message.get())));
  EXPECT_TRUE(absl::IsInvalidArgument(
      transcoder_.SetFieldFromString("i32.x", "1", message.get())));
  EXPECT_TRUE(absl::IsInvalidArgument(
      transcoder_.SetFieldFromString("text_value", "\xff", message.get())));
}

// The analytics API's REST query parameters: timestamps as RFC 3339,
// enums by name, ints and strings as text.
TEST_F(JsonTranscoderTest, AnalyticsQueryParametersFillTheirRequests) {
  v1::GetTimeSeriesRequest series;
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"shop_id", "s"},
           {"from", "2025-10-01T00:00:00+02:00"},
           {"to", "2025-10-02T00:00:00.5Z"},
           {"bucket", "DAY"},
           {"time_zone", "Europe/Paris"}}) {
    ASSERT_TRUE(transcoder_.SetFieldFromString(key, value, &series).ok())
        << key;
  }
  EXPECT_EQ(series.from().seconds(), 1759269600);
  EXPECT_EQ(series.to().seconds(), 1759363200);
  EXPECT_EQ(series.to().nanos(), 500000000);
  EXPECT_EQ(series.bucket(), v1::DAY);
  EXPECT_EQ(series.time_zone(), "Europe/Paris");
  EXPECT_EQ(
      transcoder_.SetFieldFromString("bucket", "WEEK", &series).message(),
      R"(bucket: unknown value "WEEK" for enum shopstream.v1.BucketSize)");

  v1::GetTopProductsRequest top;
  ASSERT_TRUE(transcoder_.SetFieldFromString("order_by", "REVENUE", &top).ok());
  ASSERT_TRUE(transcoder_.SetFieldFromString("limit", "5", &top).ok());
  EXPECT_EQ(top.order_by(), v1::REVENUE);
  EXPECT_EQ(top.limit(), 5);

  v1::ListEventsRequest list;
  ASSERT_TRUE(
      transcoder_.SetFieldFromString("event_type", "purchase", &list).ok());
  ASSERT_TRUE(transcoder_.SetFieldFromString("page_size", "20", &list).ok());
  ASSERT_TRUE(
      transcoder_.SetFieldFromString("page_token", "MTox_-A", &list).ok());
  EXPECT_EQ(list.event_type(), "purchase");
  EXPECT_EQ(list.page_size(), 20);
  EXPECT_EQ(list.page_token(), "MTox_-A");
}

TEST_F(JsonTranscoderTest, IsSafeToShareBetweenThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> printed(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t, &printed] {
      for (int i = 0; i < 200; ++i) {
        shopstream::v1::IngestBatchRequest batch;
        EXPECT_TRUE(transcoder_
                        .ParseMessage(
                            R"({"events":[{"eventType":"page_view",
                              "timestamp":"2025-10-02T10:30:00Z"}]})",
                            &batch)
                        .ok());
        printed[t] = transcoder_.Print(batch);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& json : printed) {
    EXPECT_THAT(json, HasSubstr(R"("event_type":"page_view")"));
  }
}

}  // namespace
}  // namespace shopstream::gateway
