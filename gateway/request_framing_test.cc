#include "gateway/request_framing.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace shopstream::gateway {
namespace {

using ::testing::HasSubstr;

std::string Post(const std::string& fields,
                 const std::string& version = "HTTP/1.1") {
  return "POST /v1/events " + version + "\r\nHost: x\r\n" + fields + "\r\n";
}

TEST(RequestFramingTest, HeaderBlockEndsAtTheFirstEmptyLine) {
  EXPECT_EQ(HeaderBlockLength("GET / HTTP/1.1\r\nHost: x\r\n"), 0u);
  EXPECT_EQ(HeaderBlockLength("GET / HTTP/1.1\r\nHost: x\r\n\r"), 0u);
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(HeaderBlockLength(head), head.size());
  EXPECT_EQ(HeaderBlockLength(head + "GET /next HTTP/1.1\r\n\r\n"),
            head.size());
}

TEST(RequestFramingTest, PlainFramingPasses) {
  for (const std::string& block : {
           Post(""),
           Post("Content-Length: 5\r\n"),
           Post("Content-Length:5\r\n"),
           Post("Content-Length: 0\r\n"),
           Post("Transfer-Encoding: chunked\r\n"),
           Post("transfer-encoding: Chunked\r\n"),
           // Optional whitespace is spaces and tabs around the value.
           Post("Transfer-Encoding:\tchunked\r\n"),
           Post("Transfer-Encoding:  chunked \t\r\n"),
           Post("X-Note: Transfer-Encoding: identity\r\n"),
           Post("Content-Type: application/json\r\nContent-Length: 12\r\n"),
       }) {
    EXPECT_TRUE(CheckRequestFraming(block).ok()) << block;
  }
}

TEST(RequestFramingTest, ObsoleteLineFoldingIs400) {
  for (const std::string& block : {
           Post("X-Note: a\r\n folded\r\n"),
           Post("X-Note: a\r\n\tfolded\r\n"),
           Post("Content-Length: 5\r\n 5\r\n"),
           Post("Transfer-Encoding: gzip\r\n chunked\r\n"),
           Post(" Transfer-Encoding: chunked\r\n"),
       }) {
    const absl::Status status = CheckRequestFraming(block);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << block;
    EXPECT_THAT(status.message(), HasSubstr("line folding"));
  }
}

TEST(RequestFramingTest, ContentLengthMustBeOnePlainNumber) {
  for (const std::string& block : {
           Post("Content-Length: +5\r\n"),
           Post("Content-Length: -5\r\n"),
           Post("Content-Length: 5, 5\r\n"),
           Post("Content-Length: 5,5\r\n"),
           Post("Content-Length: 0x5\r\n"),
           Post("Content-Length: 5 5\r\n"),
           Post("Content-Length:\r\n"),
           Post("Content-Length: 5\r\nContent-Length: 5\r\n"),
           Post("Content-Length: 5\r\ncontent-length: 6\r\n"),
       }) {
    const absl::Status status = CheckRequestFraming(block);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << block;
    EXPECT_THAT(status.message(), HasSubstr("Content-Length"));
  }
}

TEST(RequestFramingTest, CodingsThatDoNotEndInChunkedAre400) {
  for (const std::string& block : {
           Post("Transfer-Encoding: identity\r\n"),
           Post("Transfer-Encoding: gzip\r\n"),
           Post("Transfer-Encoding: xchunked\r\n"),
           Post("Transfer-Encoding: chunkedx\r\n"),
           Post("Transfer-Encoding: chunked, x\r\n"),
           Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n"),
           Post("Transfer-Encoding: \"chunked\"\r\n"),
           Post("Transfer-Encoding: chunked\x0b\r\n"),
           Post("Transfer-Encoding:\r\n"),
           Post("Transfer-Encoding: ,\r\n"),
           Post("Transfer-Encoding: chunked, chunked\r\n"),
           Post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
       }) {
    const absl::Status status = CheckRequestFraming(block);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << block;
    EXPECT_THAT(status.message(), HasSubstr("Transfer-Encoding"));
  }
}

TEST(RequestFramingTest, CodingsBesideChunkedAre501) {
  for (const std::string& block : {
           Post("Transfer-Encoding: gzip, chunked\r\n"),
           Post("Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n"),
           Post("Transfer-Encoding: identity, chunked\r\n"),
       }) {
    const absl::Status status = CheckRequestFraming(block);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented) << block;
    EXPECT_THAT(status.message(), HasSubstr("not supported"));
  }
}

TEST(RequestFramingTest, TransferEncodingWithContentLengthOrInHttp10Is400) {
  for (const std::string& block : {
           Post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
           Post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
           Post("Transfer-Encoding: gzip\r\nContent-Length: 5\r\n"),
           Post("Transfer-Encoding: chunked\r\n", "HTTP/1.0"),
       }) {
    const absl::Status status = CheckRequestFraming(block);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << block;
    EXPECT_THAT(status.message(), HasSubstr("Transfer-Encoding"));
  }
}

TEST(RequestFramingTest, EchoedValuesAreEscapedAndShort) {
  const absl::Status status = CheckRequestFraming(
      Post("Content-Length: " + std::string(500, '9') + "\x01\r\n"));
  EXPECT_LT(status.message().size(), 200u);
  EXPECT_THAT(status.message(), HasSubstr("..."));
  EXPECT_THAT(
      std::string(
          CheckRequestFraming(Post("Content-Length: 1\x01\r\n")).message()),
      HasSubstr("\\x01"));
}

}  // namespace
}  // namespace shopstream::gateway
