#include "gateway/json_response_printer.h"

#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "shopstream/v1/analytics.pb.h"
#include "shopstream/v1/ingest.pb.h"

// Printing every field kind, parsed first, is in
// gateway/json_transcoder_test.cc.
namespace shopstream::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(JsonResponsePrinterTest, AnEmptyRepeatedFieldMarkedOmittedIsLeftOut) {
  shopstream::v1::Acceptance acceptance;
  acceptance.set_status("accepted");
  EXPECT_EQ(JsonOfMessage(acceptance), R"({"status":"accepted"})");
  acceptance.add_ignored_fields("colour");
  EXPECT_EQ(JsonOfMessage(acceptance),
            R"({"status":"accepted","ignored_fields":["colour"]})");
}

TEST(JsonResponsePrinterTest, PrintsSummaryWithNullTopProduct) {
  shopstream::v1::Summary summary;
  summary.set_total_page_views(150);
  summary.set_total_add_to_carts(45);
  summary.set_total_purchases(12);
  summary.set_conversion_rate(8);
  summary.set_average_purchase_value(299.99);
  summary.set_max_purchase_value(1000);
  summary.set_min_purchase_value(75.5);
  EXPECT_EQ(JsonOfMessage(summary),
            R"({"total_page_views":150,"total_add_to_carts":45,)"
            R"("total_purchases":12,"conversion_rate":8.0,)"
            R"("average_purchase_value":299.99,"max_purchase_value":1000.0,)"
            R"("min_purchase_value":75.5,"top_product_id":null,)"
            R"("revenue":0.0,"unique_sessions":0,"add_to_cart_rate":0.0,)"
            R"("as_of":null})");
  summary.set_top_product_id("prod-1");
  EXPECT_THAT(JsonOfMessage(summary),
              HasSubstr(R"("top_product_id":"prod-1",)"));
}

TEST(JsonResponsePrinterTest, PrintsTheSessionEstimateFlagOnlyWhenSet) {
  // Unset, the flag is left out rather than printed as null (the exact
  // string above), so exact answers keep the shape they always had.
  shopstream::v1::Summary summary;
  summary.set_unique_sessions(123456);
  EXPECT_THAT(JsonOfMessage(summary),
              Not(HasSubstr("unique_sessions_estimated")));
  summary.set_unique_sessions_estimated(true);
  EXPECT_THAT(
      JsonOfMessage(summary),
      HasSubstr(R"("unique_sessions":123456,"unique_sessions_estimated":true,)"
                R"("add_to_cart_rate":0.0,)"));
  // Set is set, even to false.
  summary.set_unique_sessions_estimated(false);
  EXPECT_THAT(JsonOfMessage(summary),
              HasSubstr(R"("unique_sessions_estimated":false,)"));
}

TEST(JsonResponsePrinterTest, PrintsNonFiniteDoublesAsStrings) {
  shopstream::v1::Summary summary;
  summary.set_conversion_rate(std::numeric_limits<double>::quiet_NaN());
  summary.set_max_purchase_value(std::numeric_limits<double>::infinity());
  const std::string json = JsonOfMessage(summary);
  EXPECT_THAT(json, HasSubstr(R"("conversion_rate":"NaN")"));
  EXPECT_THAT(json, HasSubstr(R"("max_purchase_value":"Infinity")"));
}

TEST(JsonResponsePrinterTest, PrintFieldPrintsOnlyThatField) {
  shopstream::v1::IngestResponse response;
  response.mutable_acceptance()->set_status("accepted");
  response.set_event_id("e1");
  const auto* descriptor = response.GetDescriptor();
  EXPECT_EQ(JsonOfField(response, descriptor->FindFieldByName("acceptance")),
            R"({"status":"accepted"})");
  EXPECT_EQ(JsonOfField(response, descriptor->FindFieldByName("event_id")),
            R"("e1")");
  shopstream::v1::IngestResponse empty;
  EXPECT_EQ(JsonOfField(empty, descriptor->FindFieldByName("acceptance")),
            R"({"status":""})");
}

}  // namespace
}  // namespace shopstream::gateway
