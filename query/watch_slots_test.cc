#include "query/watch_slots.h"

#include "gtest/gtest.h"

namespace shopstream {
namespace {

TEST(WatchSlotsTest, OneKeyCannotTakeEverySlotOfItsShop) {
  WatchSlots slots({.total = 1000, .per_shop = 100, .per_key = 10});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(slots.Take("shop", "key-a").ok()) << "watcher " << i + 1;
  }
  const absl::Status eleventh = slots.Take("shop", "key-a");
  EXPECT_TRUE(absl::IsResourceExhausted(eleventh)) << eleventh;
  EXPECT_EQ(eleventh.message(),
            "at most 10 summary watchers of API key key-a at a time; try "
            "again later");
  EXPECT_TRUE(slots.Take("shop", "key-b").ok());
  EXPECT_EQ(slots.taken(), 11);

  slots.Release("shop", "key-a");
  EXPECT_TRUE(slots.Take("shop", "key-a").ok());
}

TEST(WatchSlotsTest, KeysOfOneShopShareTheShopsSlots) {
  WatchSlots slots({.total = 10, .per_shop = 3, .per_key = 2});
  ASSERT_TRUE(slots.Take("shop", "key-a").ok());
  ASSERT_TRUE(slots.Take("shop", "key-a").ok());
  ASSERT_TRUE(slots.Take("shop", "key-b").ok());
  const absl::Status refused = slots.Take("shop", "key-c");
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  EXPECT_EQ(refused.message(),
            "at most 3 summary watchers of one shop at a time; try again "
            "later");
  EXPECT_TRUE(slots.Take("other-shop", "key-d").ok());
}

TEST(WatchSlotsTest, WithoutKeysOnlyTheShopAndTotalLimitsApply) {
  WatchSlots slots({.total = 30, .per_shop = 20, .per_key = 2});
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(slots.Take("shop", "").ok()) << "watcher " << i + 1;
  }
  EXPECT_TRUE(absl::IsResourceExhausted(slots.Take("shop", "")));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(slots.Take("other-shop", "").ok()) << "watcher " << i + 1;
  }
  const absl::Status full = slots.Take("third-shop", "");
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_EQ(full.message(),
            "at most 30 summary watchers at a time; try again later");

  slots.Release("shop", "");
  EXPECT_TRUE(slots.Take("third-shop", "").ok());
}

TEST(WatchSlotsTest, ReleasedSlotsAreTakenAgain) {
  WatchSlots slots({.total = 2, .per_shop = 2, .per_key = 1});
  ASSERT_TRUE(slots.Take("shop", "key-a").ok());
  ASSERT_TRUE(slots.Take("shop", "key-b").ok());
  EXPECT_FALSE(slots.Take("shop", "key-c").ok());
  slots.Release("shop", "key-a");
  slots.Release("shop", "key-b");
  EXPECT_EQ(slots.taken(), 0);
  EXPECT_TRUE(slots.Take("shop", "key-a").ok());
  EXPECT_TRUE(slots.Take("shop", "key-b").ok());
}

}  // namespace
}  // namespace shopstream
