#ifndef SHOPSTREAM_STORAGE_TEST_DATABASE_H_
#define SHOPSTREAM_STORAGE_TEST_DATABASE_H_

#include <string>

namespace shopstream {

// For tests: a fresh, empty database on the test PostgreSQL server (whose
// connection string is in $SHOPSTREAM_TEST_PG), dropped again on
// destruction, so tests can run side by side without seeing each other.
class TestDatabase {
 public:
  TestDatabase();
  // The same on another server, given by its connection string.
  explicit TestDatabase(std::string server_conninfo);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // Connection string of the fresh database.
  const std::string& conninfo() const { return conninfo_; }
  const std::string& name() const { return name_; }
  // Its server's connection string, for maintenance commands.
  const std::string& server_conninfo() const { return server_conninfo_; }

 private:
  std::string server_conninfo_;
  std::string name_;
  std::string conninfo_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_STORAGE_TEST_DATABASE_H_
