#include "query/summary_formulas.h"

#include "gtest/gtest.h"

namespace shopstream {
namespace {

TEST(SummaryFormulasTest, DivisionRoundsHalfUp) {
  EXPECT_EQ(DivideRoundingHalfUp(5, 2), 3);
  EXPECT_EQ(DivideRoundingHalfUp(4, 3), 1);
  EXPECT_EQ(DivideRoundingHalfUp(5, 3), 2);
  EXPECT_EQ(DivideRoundingHalfUp(0, 7), 0);
  EXPECT_EQ(DivideRoundingHalfUp(INT64_MAX, 1), INT64_MAX);
}

TEST(SummaryFormulasTest, ConversionRateIsPurchasesPerPageViewInPercent) {
  EXPECT_DOUBLE_EQ(ConversionRatePercent(12, 150), 8.0);  // the case study's
  EXPECT_DOUBLE_EQ(ConversionRatePercent(1, 3), 33.33);
  EXPECT_DOUBLE_EQ(ConversionRatePercent(2, 3), 66.67);
  EXPECT_DOUBLE_EQ(ConversionRatePercent(1, 1), 100.0);
  EXPECT_DOUBLE_EQ(ConversionRatePercent(5, 0), 0.0);
  EXPECT_DOUBLE_EQ(ConversionRatePercent(0, 9), 0.0);
}

TEST(SummaryFormulasTest, AverageIsRoundedToCents) {
  EXPECT_DOUBLE_EQ(AveragePurchaseValue(7550 * 12, 12), 75.50);
  EXPECT_DOUBLE_EQ(AveragePurchaseValue(1000, 3), 3.33);
  EXPECT_DOUBLE_EQ(AveragePurchaseValue(2000, 3), 6.67);
  EXPECT_DOUBLE_EQ(AveragePurchaseValue(1, 2), 0.01);
  EXPECT_DOUBLE_EQ(AveragePurchaseValue(0, 0), 0.0);
}

TEST(SummaryFormulasTest, SummaryOfTheCaseStudyExample) {
  SummaryCounts c;
  c.page_views = 150;
  c.add_to_carts = 45;
  c.purchases = 12;
  c.revenue_cents = 7550 * 12;
  c.max_purchase_cents = 29999;
  c.min_purchase_cents = 999;
  c.top_product_id = "prod-123";
  v1::Summary s = BuildSummary(c);
  EXPECT_EQ(s.total_page_views(), 150);
  EXPECT_EQ(s.total_add_to_carts(), 45);
  EXPECT_EQ(s.total_purchases(), 12);
  EXPECT_DOUBLE_EQ(s.conversion_rate(), 8.0);
  EXPECT_DOUBLE_EQ(s.average_purchase_value(), 75.50);
  EXPECT_DOUBLE_EQ(s.max_purchase_value(), 299.99);
  EXPECT_DOUBLE_EQ(s.min_purchase_value(), 9.99);
  EXPECT_EQ(s.top_product_id(), "prod-123");
}

TEST(SummaryFormulasTest, EmptySummaryIsZerosWithoutTopProduct) {
  v1::Summary s = BuildSummary(SummaryCounts{});
  EXPECT_EQ(s.total_page_views(), 0);
  EXPECT_DOUBLE_EQ(s.conversion_rate(), 0);
  EXPECT_DOUBLE_EQ(s.max_purchase_value(), 0);
  EXPECT_DOUBLE_EQ(s.min_purchase_value(), 0);
  EXPECT_FALSE(s.has_top_product_id());
  EXPECT_FALSE(s.has_unique_sessions_estimated());
}

TEST(SummaryFormulasTest, SaysSoOnlyWhenUniqueSessionsAreAnEstimate) {
  SummaryCounts c;
  c.unique_sessions = 41200;
  EXPECT_FALSE(BuildSummary(c).has_unique_sessions_estimated());
  c.unique_sessions_estimated = true;
  const v1::Summary s = BuildSummary(c);
  EXPECT_EQ(s.unique_sessions(), 41200);
  EXPECT_TRUE(s.has_unique_sessions_estimated());
  EXPECT_TRUE(s.unique_sessions_estimated());
}

}  // namespace
}  // namespace shopstream
