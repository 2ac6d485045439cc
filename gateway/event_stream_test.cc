#include "gateway/event_stream.h"

#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

TEST(EventStreamTest, ADataEventIsOneDataLineAndABlankLine) {
  EXPECT_EQ(EventStreamEvent("", R"({"total_page_views":3})"),
            "data: {\"total_page_views\":3}\n\n");
}

TEST(EventStreamTest, NamedEventsCarryTheirName) {
  EXPECT_EQ(EventStreamEvent("error", R"({"error":"gone"})"),
            "event: error\ndata: {\"error\":\"gone\"}\n\n");
}

TEST(EventStreamTest, LineBreaksInDataBecomeSeveralDataLines) {
  EXPECT_EQ(EventStreamEvent("", "a\nb\r\nc"), "data: a\ndata: b\ndata: c\n\n");
  EXPECT_EQ(EventStreamEvent("", ""), "data: \n\n");
}

TEST(EventStreamTest, KeepAliveIsAComment) {
  EXPECT_EQ(kEventStreamKeepAlive[0], ':');
  EXPECT_EQ(std::string(kEventStreamKeepAlive)
                .substr(std::string(kEventStreamKeepAlive).size() - 2),
            "\n\n");
}

}  // namespace
}  // namespace shopstream::gateway
