#include "common/flags.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, flags_test_port, 1, "A port for this test.");
ABSL_FLAG(std::string, flags_test_name, "unset", "A name for this test.");

namespace shopstream {
namespace {

TEST(FlagsTest, EnvironmentNameIsPrefixedUpperCase) {
  EXPECT_EQ(EnvironmentNameForFlag("ingest_port"), "SHOPSTREAM_INGEST_PORT");
}

TEST(FlagsTest, CommandLineBeatsEnvironmentWhichBeatsDefault) {
  setenv("SHOPSTREAM_FLAGS_TEST_PORT", "7", 1);
  setenv("SHOPSTREAM_FLAGS_TEST_NAME", "from-env", 1);
  char arg0[] = "flags_test";
  char arg1[] = "--flags_test_port=9";
  char* argv[] = {arg0, arg1};
  ParseFlagsAndEnvironment(2, argv);
  EXPECT_EQ(absl::GetFlag(FLAGS_flags_test_port), 9);
  EXPECT_EQ(absl::GetFlag(FLAGS_flags_test_name), "from-env");
}

}  // namespace
}  // namespace shopstream
