#ifndef SHOPSTREAM_TESTS_PRIVATE_POSTGRES_H_
#define SHOPSTREAM_TESTS_PRIVATE_POSTGRES_H_

#include <string>

namespace shopstream::testing {

// A PostgreSQL server of one test's own, on a free port, in a temporary
// folder, started with scripts/pg.sh: a test may stop and restart it, which
// the run's shared server must never be. Stopped and removed on
// destruction, however the test ends.
class PrivatePostgres {
 public:
  PrivatePostgres();  // initialises and starts; throws when it cannot
  ~PrivatePostgres();
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  // `immediate`: no clean shutdown, as after a crash; the next start
  // recovers from the write-ahead log.
  void Stop(bool immediate = false);
  void Start();

  int port() const { return port_; }
  // Connection string of its `postgres` database, with the password file.
  std::string conninfo() const;
  std::string data_dir() const;
  // libpq's password file that scripts/pg.sh wrote for the cluster.
  std::string passfile() const;

 private:
  std::string folder_;  // temporary; the cluster is in data_dir()
  int port_;
};

}  // namespace shopstream::testing

#endif  // SHOPSTREAM_TESTS_PRIVATE_POSTGRES_H_
