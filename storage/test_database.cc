#include "storage/test_database.h"

#include <unistd.h>

#include <cstdlib>
#include <pqxx/pqxx>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "common/event_validator.h"

namespace shopstream {

namespace {

std::string TestServer() {
  const char* server = std::getenv("SHOPSTREAM_TEST_PG");
  if (server == nullptr) {
    throw std::runtime_error(
        "SHOPSTREAM_TEST_PG is not set; run this test through ctest");
  }
  return server;
}

}  // namespace

TestDatabase::TestDatabase() : TestDatabase(TestServer()) {}

TestDatabase::TestDatabase(std::string server_conninfo)
    : server_conninfo_(std::move(server_conninfo)) {
  // The random tail: the head of a version 7 id is the clock, the same for
  // every database a process makes within a minute.
  std::string suffix = NewEventId().substr(24);
  name_ = absl::StrCat("test_", getpid(), "_", suffix);
  pqxx::connection conn(server_conninfo_);
  pqxx::nontransaction tx(conn);
  tx.exec("CREATE DATABASE " + tx.quote_name(name_));
  conninfo_ = absl::StrCat(server_conninfo_, " dbname=", name_);
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection conn(server_conninfo_);
    pqxx::nontransaction tx(conn);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) +
            " WITH (FORCE)");
  } catch (const std::exception&) {
    // The server may already be gone at the end of a run; nothing to keep.
  }
}

}  // namespace shopstream
