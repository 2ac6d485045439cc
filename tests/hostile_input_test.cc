// Hostile and broken requests against the real gateway and services: each
// gets a clear 4xx or a closed connection, nothing stored changes, and the
// services stay healthy.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "auth/api_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/local_stack.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;

// A raw TCP connection to the gateway, for what an HTTP library would not
// send.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) !=
        0) {
      throw std::runtime_error("cannot connect");
    }
    timeval timeout{30, 0};  // bounds every read of the test
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RawConnection() { close(fd_); }

  // False once the peer has closed the connection.
  bool Send(const std::string& data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(data.size());
  }
  void FinishSending() { shutdown(fd_, SHUT_WR); }

  // Everything until the peer closes (or the 30 s bound).
  std::string ReadAll() {
    std::string out;
    char buffer[4096];
    while (true) {
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) {
        out.append(buffer, static_cast<size_t>(n));
        continue;
      }
      // A timeout is not a close.
      peer_closed_ = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
      break;
    }
    return out;
  }
  // Whether the last ReadAll ended because the peer closed the connection.
  bool peer_closed() const { return peer_closed_; }

 private:
  int fd_ = -1;
  bool peer_closed_ = false;
};

std::string PostEvents(const std::string& key, const std::string& body,
                       const std::string& content_type = "application/json") {
  return absl::StrCat(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ", key,
      "\r\nContent-Type: ", content_type, "\r\nContent-Length: ", body.size(),
      "\r\n\r\n", body);
}

constexpr char kValidEvent[] =
    R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "product_id": "p"})";

class HostileInputTest : public ::testing::Test {
 protected:
  HostileInputTest()
      : stack_(
            LocalStackOptions{.gateway_flags = {"--read_timeout_ms=2000",
                                                "--idle_timeout_ms=3000",
                                                "--max_header_bytes=8192"}}) {}

  void TearDown() override {
    for (const char* path : {"/v1/health", "/api/health"}) {
      EXPECT_EQ(HttpRequest(stack_.http_port(), "GET", path).status, 200)
          << path;
    }
    EXPECT_EQ(stack_.StoredEvents("shop_id = 'default'"), 0)
        << "hostile input stored something";
    // And the next honest client is served.
    EXPECT_EQ(stack_.Post("/v1/events", kValidEvent).status, 202);
  }

  HttpResponse Post(const std::string& body,
                    const std::string& content_type = "application/json") {
    return HttpRequest(stack_.http_port(), "POST", "/v1/events", body,
                       content_type,
                       {{"Authorization", "Bearer " + stack_.WriteKey()}});
  }

  LocalStack stack_;
};

TEST_F(HostileInputTest, MalformedJsonValuesAreRefusedNamingTheProblem) {
  struct Case {
    std::string body;
    const char* says;
  } cases[] = {
      {R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "order_amount": NaN})",
       "JSON"},
      {R"({"event_type": "purchase", "timestamp": "2025-10-02T10:30:00Z", "order_amount": Infinity})",
       "JSON"},
      {R"({"event_type": "purchase", "timestamp": "2025-10-02T10:30:00Z", "order_amount": 1e999})",
       "order_amount: number too big"},
      {"{\"event_type\": \"page_view\", \"timestamp\": "
       "\"2025-10-02T10:30:00Z\", "
       "\"product_id\": \"\xff\xfe\"}",
       "Invalid encoding in string"},
      // An escape for half a surrogate pair decodes to bytes that are not
      // UTF-8 either.
      {R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "product_id": "\udc00"})",
       "product_id: not valid UTF-8"},
      {R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "product_id": )" +
           std::string(100000, '[') + std::string(100000, ']') + "}",
       "nested deeper"},
      {std::string(200000, '[') + std::string(200000, ']'), "nested deeper"},
      {R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "product_id": ")" +
           std::string(900000, 'x') + "\"}",
       "product_id"},
      // Deep nesting where unknown fields are ignored is refused too.
      {R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "extra": )" +
           std::string(1000, '{') + std::string(1000, '}') + "}",
       "nested deeper"},
      {R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z")",
       "JSON"},
      {std::string("\x00\x01\x02", 3), "malformed JSON"},
  };
  for (const Case& c : cases) {
    HttpResponse r = Post(c.body);
    EXPECT_EQ(r.status, 400) << c.body.substr(0, 120) << " -> " << r.body;
    EXPECT_THAT(r.body, HasSubstr(R"({"error":")"));
    EXPECT_THAT(r.body, HasSubstr(c.says)) << r.body;
  }
}

TEST_F(HostileInputTest, HugeBodiesAndHeadersAreRefused) {
  {
    // A 10 MB string: 413 once the declared length is seen, without the
    // gateway reading it all.
    const std::string body =
        R"({"product_id": ")" + std::string(10 << 20, 'x') + "\"}";
    RawConnection raw(stack_.http_port());
    const std::string request = PostEvents(stack_.WriteKey(), body);
    raw.Send(request.substr(0, 2 << 20));
    raw.FinishSending();
    EXPECT_THAT(raw.ReadAll(), HasSubstr("HTTP/1.1 413"));
  }
  RawConnection raw(stack_.http_port());
  raw.Send(absl::StrCat("GET /api/analytics HTTP/1.1\r\nHost: x\r\nX-Junk: ",
                        std::string(20000, 'j'), "\r\n\r\n"));
  EXPECT_THAT(raw.ReadAll(), HasSubstr("HTTP/1.1 431"));
}

TEST_F(HostileInputTest, WrongContentTypesAre415) {
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/xml"}) {
    HttpResponse r = Post(kValidEvent, type);
    EXPECT_EQ(r.status, 415) << type << " -> " << r.body;
    EXPECT_THAT(r.body, HasSubstr("Content-Type"));
  }
}

TEST_F(HostileInputTest, TruncatedAndLyingRequestsAre400WithoutEffect) {
  {
    // Promises 1000 bytes, sends 20, stops sending.
    RawConnection raw(stack_.http_port());
    const std::string request = PostEvents(stack_.WriteKey(), kValidEvent);
    const std::string head = request.substr(0, request.find("\r\n\r\n") + 4);
    std::string lying = head;
    lying.replace(lying.find("Content-Length: "), std::string::npos,
                  "Content-Length: 1000\r\n\r\n");
    raw.Send(lying + std::string(kValidEvent).substr(0, 20));
    raw.FinishSending();
    EXPECT_THAT(raw.ReadAll(), HasSubstr("HTTP/1.1 400"));
  }
  {
    RawConnection raw(stack_.http_port());
    raw.Send(
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: "
        "nope\r\n\r\n{}");
    EXPECT_THAT(raw.ReadAll(), HasSubstr("HTTP/1.1 400"));
  }
  {
    RawConnection raw(stack_.http_port());
    raw.Send("NOT HTTP AT ALL\r\n\r\n");
    EXPECT_THAT(raw.ReadAll(), HasSubstr("HTTP/1.1 400"));
  }
}

// What a proxy in front of the gateway and the gateway might each take for
// the end of a request's body. Each case hides a whole second request (a
// POST /v1/events with a valid key for shop "smuggled") where one reading
// of the framing sees body and another sees the next request; the first
// request has no key, so it would be answered 401 if it were served. The
// gateway must answer the status, close the connection, and never serve
// the hidden request.
TEST_F(HostileInputTest, RequestSmugglingIsRefusedAndTheConnectionClosed) {
  const std::string event =
      R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "product_id": "smuggled"})";
  const std::string smuggled = absl::StrCat(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ",
      stack_.WriteKey("smuggled"),
      "\r\nContent-Type: application/json\r\nContent-Length: ", event.size(),
      "\r\n\r\n", event);
  // Read as chunked: an empty body, then the hidden request.
  const std::string empty_chunked_then_smuggled = "0\r\n\r\n" + smuggled;
  // Read as chunked: one chunk holding the hidden request. Read by the
  // Content-Length `cl`: the chunk's size line, then the hidden request.
  const std::string chunk_size_line =
      absl::StrCat(absl::Hex(smuggled.size()), "\r\n");
  const std::string chunk_of_smuggled =
      absl::StrCat(chunk_size_line, smuggled, "\r\n0\r\n\r\n");
  const size_t n = chunk_size_line.size();
  const std::string cl = absl::StrCat("Content-Length: ", n, "\r\n");
  struct Case {
    const char* name;
    std::string fields;  // after "Host: x\r\n"
    std::string body;
    int status;
    const char* version = "HTTP/1.1";
  } cases[] = {
      {"CL.TE",
       absl::StrCat("Content-Length: ", empty_chunked_then_smuggled.size(),
                    "\r\nTransfer-Encoding: chunked\r\n"),
       empty_chunked_then_smuggled, 400},
      {"TE.CL", "Transfer-Encoding: chunked\r\n" + cl, chunk_of_smuggled, 400},
      {"identity", "Transfer-Encoding: identity\r\n", smuggled, 400},
      {"gzip", "Transfer-Encoding: gzip\r\n", smuggled, 400},
      {"chunked, x", "Transfer-Encoding: chunked, x\r\n", smuggled, 400},
      {"chunked then x",
       "Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n", smuggled, 400},
      {"x then chunked",
       "Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n",
       empty_chunked_then_smuggled, 501},
      {"gzip, chunked", "Transfer-Encoding: gzip, chunked\r\n",
       empty_chunked_then_smuggled, 501},
      {"xchunked", "Transfer-Encoding: xchunked\r\n", smuggled, 400},
      {"xchunked.CL", "Transfer-Encoding: xchunked\r\n" + cl, chunk_of_smuggled,
       400},
      {"leading spaces.CL", "Transfer-Encoding:   chunked\r\n" + cl,
       chunk_of_smuggled, 400},
      {"trailing space.CL", "Transfer-Encoding: chunked \r\n" + cl,
       chunk_of_smuggled, 400},
      {"tab.CL", "Transfer-Encoding:\tchunked\r\n" + cl, chunk_of_smuggled,
       400},
      {"space before colon.CL", "Transfer-Encoding : chunked\r\n" + cl,
       chunk_of_smuggled, 400},
      {"folded.CL", "X-Pad: x\r\n Transfer-Encoding: chunked\r\n" + cl,
       chunk_of_smuggled, 400},
      {"tab-folded.CL", "X-Pad: x\r\n\tTransfer-Encoding: chunked\r\n" + cl,
       chunk_of_smuggled, 400},
      {"folded value", "Transfer-Encoding: gzip\r\n chunked\r\n",
       empty_chunked_then_smuggled, 400},
      {"bare LF.CL", "X-Pad: x\nTransfer-Encoding: chunked\r\n" + cl,
       chunk_of_smuggled, 400},
      {"CL +n", absl::StrCat("Content-Length: +", n, "\r\n"), chunk_of_smuggled,
       400},
      {"CL n, n", absl::StrCat("Content-Length: ", n, ", ", n, "\r\n"),
       chunk_of_smuggled, 400},
      {"CL twice", cl + cl, chunk_of_smuggled, 400},
      {"CL differing", cl + absl::StrCat("Content-Length: ", n + 1, "\r\n"),
       chunk_of_smuggled, 400},
      {"HTTP/1.0 chunked", "Transfer-Encoding: chunked\r\n",
       empty_chunked_then_smuggled, 400, "HTTP/1.0"},
  };
  for (const Case& c : cases) {
    const int64_t stored_before = stack_.StoredEvents("shop_id = 'smuggled'");
    RawConnection raw(stack_.http_port());
    raw.Send(absl::StrCat("POST /v1/events ", c.version, "\r\nHost: x\r\n",
                          c.fields, "\r\n", c.body));
    const std::string answer = raw.ReadAll();
    EXPECT_EQ(answer.substr(0, 12), absl::StrCat("HTTP/1.1 ", c.status))
        << c.name << ":\n"
        << answer;
    const size_t head_end = answer.find("\r\n\r\n");
    EXPECT_THAT(answer.substr(0, head_end), HasSubstr("Connection: close"))
        << c.name;
    EXPECT_TRUE(raw.peer_closed()) << c.name << ": the connection stayed open";
    // One answer: nothing after the first request was read as a request.
    EXPECT_EQ(answer.find("HTTP/1.1 ", 1), std::string::npos) << c.name << ":\n"
                                                              << answer;
    EXPECT_EQ(stack_.StoredEvents("shop_id = 'smuggled'"), stored_before)
        << c.name << ": the hidden request was served";
  }
  EXPECT_EQ(stack_.StoredEvents("shop_id = 'smuggled'"), 0);
}

// The browser route takes public keys and text/plain: its hostile input is
// refused like the backends' route, and stores nothing for any shop.
TEST_F(HostileInputTest, CollectRefusesHostilePagesAndBodies) {
  const std::string key = stack_.Key("default", auth::Scope::kCollect);
  const std::string target = "/v1/collect?key=" + key;
  const HttpHeaders page = {{"Origin", LocalStack::kPageOrigin}};
  struct Case {
    std::string body;
    HttpHeaders headers;
    int status;
    const char* says;
  } cases[] = {
      {R"({"events": [{"event_type": "page_view"}]})",
       {{"Origin", "https://shop.example.evil.test"}},
       403,
       "Origin"},
      {R"({"events": [{"event_type": "page_view"}]})",
       {{"Origin", "null"}},
       403,
       "Origin"},
      {std::string(R"({"events": [)") + std::string(100000, '[') +
           std::string(100000, ']') + "]}",
       page, 400, "nested deeper"},
      {R"({"events": [{"name": "x", "properties": {"k": {"deep": 1}}}]})", page,
       400, "events[0].properties.k"},
      {R"({"events": 5})", page, 400, "events: expected an array"},
      {"\xff\xfe{", page, 400, "JSON"},
  };
  for (const Case& c : cases) {
    HttpResponse r = HttpRequest(stack_.http_port(), "POST", target, c.body,
                                 "text/plain", c.headers);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 120) << " -> " << r.body;
    EXPECT_THAT(r.body, HasSubstr(c.says)) << r.body;
  }
  // Too many events at once, each one fine.
  std::string many = R"({"events": [)";
  for (int i = 0; i < 51; ++i) {
    absl::StrAppend(&many, i ? "," : "", R"({"event_type": "page_view"})");
  }
  many += "]}";
  HttpResponse r =
      HttpRequest(stack_.http_port(), "POST", target, many, "text/plain", page);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_THAT(r.body, HasSubstr("events: at most 50"));
  // Form posts and XML are not what a tracker sends.
  r = HttpRequest(stack_.http_port(), "POST", target, "events=1",
                  "application/x-www-form-urlencoded", page);
  EXPECT_EQ(r.status, 415) << r.body;
}

TEST_F(HostileInputTest, SlowDripIsDisconnected) {
  RawConnection raw(stack_.http_port());
  const std::string request = PostEvents(stack_.WriteKey(), kValidEvent);
  const auto start = std::chrono::steady_clock::now();
  // One byte every 100 ms would take over a minute; the gateway's 2 s read
  // timeout ends it.
  bool closed = false;
  for (char c : request) {
    if (!raw.Send(std::string(1, c))) {
      closed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(20)) {
      break;
    }
  }
  if (!closed) {
    const std::string answer = raw.ReadAll();
    closed =
        raw.peer_closed() && answer.find("HTTP/1.1 2") == std::string::npos;
  }
  EXPECT_TRUE(closed) << "the gateway kept a slow-drip connection";
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

TEST_F(HostileInputTest, StringsAreStoredVerbatim) {
  // Not hostile to a parameterised store: quotes, unicode, SQL-looking text.
  const std::vector<std::string> products = {
      "o'brien",     "\"quoted\"",  "'); DROP TABLE events; --",
      "产品-🛒", "back\\slash", "$1",
      "%_"};
  for (const std::string& product : products) {
    std::string escaped;
    for (char c : product) {
      if (c == '"' || c == '\\') escaped += '\\';
      escaped += c;
    }
    HttpResponse r = stack_.Post(
        "/v1/events",
        absl::StrCat(
            R"({"event_type": "page_view", "timestamp": "2025-10-02T10:30:00Z", "product_id": ")",
            escaped, R"(", "session_id": ")", escaped, "\"}"),
        "verbatim");
    ASSERT_EQ(r.status, 202) << product << " -> " << r.body;
  }
  for (const std::string& product : products) {
    std::string quoted;
    for (char c : product) {
      if (c == '\'') quoted += '\'';
      quoted += c;
    }
    EXPECT_EQ(stack_.StoredEvents(
                  absl::StrCat("shop_id = 'verbatim' AND product_id = '",
                               quoted, "' AND session_id = '", quoted, "'")),
              1)
        << product;
  }
  // The tear-down checks the default shop only.
}

}  // namespace
}  // namespace shopstream::testing
