// Who may connect to the PostgreSQL clusters that scripts/pg.sh starts (the
// run's shared server, a test's private one, `make up`'s): only clients
// with the password from the cluster's password file, which other users of
// the machine cannot read.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/private_postgres.h"

namespace shopstream::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kPassfileKeyword[] = "passfile=";

std::string SharedServer() {
  const char* server = std::getenv("SHOPSTREAM_TEST_PG");
  if (server == nullptr) {
    throw std::runtime_error(
        "SHOPSTREAM_TEST_PG is not set; run this test through ctest");
  }
  return server;
}

std::string PassfileOf(const std::string& conninfo) {
  for (absl::string_view part : absl::StrSplit(conninfo, ' ')) {
    if (absl::StartsWith(part, kPassfileKeyword)) {
      return std::string(part.substr(sizeof(kPassfileKeyword) - 1));
    }
  }
  return "";
}

// What a client without the password sends: `conninfo` with a password
// file that does not exist (left out, libpq would read ~/.pgpass).
std::string WithoutPassword(const std::string& conninfo) {
  std::vector<std::string> kept;
  for (absl::string_view part :
       absl::StrSplit(conninfo, ' ', absl::SkipEmpty())) {
    if (!absl::StartsWith(part, kPassfileKeyword)) kept.emplace_back(part);
  }
  kept.push_back("passfile=/nonexistent");
  return absl::StrJoin(kept, " ");
}

// The role a connection gets, or why there is none.
absl::StatusOr<std::string> ConnectedRole(const std::string& conninfo) {
  try {
    pqxx::connection connection(conninfo + " connect_timeout=10");
    pqxx::nontransaction tx(connection);
    return tx.exec1("SELECT current_user")[0].as<std::string>();
  } catch (const std::exception& e) {
    return absl::UnauthenticatedError(e.what());
  }
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// `psql` as OS user `user` ("" for this process's user), never prompting.
CommandResult PsqlAs(const std::string& user, const std::string& conninfo) {
  const std::string psql = absl::StrCat(
      "psql -w '", conninfo, " connect_timeout=10' -tAc 'SELECT current_user'");
  return RunCommand(
      user.empty() ? psql : absl::StrCat("runuser -u ", user, " -- ", psql));
}

void ExpectOnlyThePasswordAdmits(const std::string& conninfo) {
  absl::StatusOr<std::string> role = ConnectedRole(conninfo);
  ASSERT_TRUE(role.ok()) << role.status();
  EXPECT_EQ(*role, "postgres");

  absl::StatusOr<std::string> refused =
      ConnectedRole(WithoutPassword(conninfo));
  ASSERT_FALSE(refused.ok()) << "connected as " << *refused;
  EXPECT_THAT(refused.status().message(), HasSubstr("no password supplied"));

  refused = ConnectedRole(WithoutPassword(conninfo) + " password=guessed");
  ASSERT_FALSE(refused.ok()) << "connected as " << *refused;
  EXPECT_THAT(refused.status().message(),
              HasSubstr("password authentication failed"));
}

TEST(PostgresAccessTest, SharedServerAdmitsOnlyItsPassword) {
  ExpectOnlyThePasswordAdmits(SharedServer());
}

TEST(PostgresAccessTest, PrivateServerAdmitsOnlyItsPassword) {
  PrivatePostgres postgres;
  ExpectOnlyThePasswordAdmits(postgres.conninfo());
}

TEST(PostgresAccessTest, OtherUsersOfTheMachineAreRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "acting as another user needs root";
  PrivatePostgres postgres;
  for (const std::string& conninfo : {SharedServer(), postgres.conninfo()}) {
    SCOPED_TRACE(conninfo);
    // The same command as this process's user: psql works, the password
    // file is read.
    CommandResult own = PsqlAs("", conninfo);
    EXPECT_EQ(own.exit_code, 0) << own.output;
    EXPECT_EQ(own.output, "postgres\n");

    CommandResult other = PsqlAs("nobody", conninfo);
    EXPECT_NE(other.exit_code, 0) << other.output;
    EXPECT_THAT(other.output, HasSubstr("no password supplied"));
    CommandResult read = RunCommand(
        absl::StrCat("runuser -u nobody -- cat '", PassfileOf(conninfo), "'"));
    EXPECT_NE(read.exit_code, 0) << read.output;
    EXPECT_THAT(read.output, HasSubstr("Permission denied"));
  }
}

TEST(PostgresAccessTest, ClusterWithoutPasswordGetsOneOnItsNextStart) {
  PrivatePostgres postgres;
  postgres.Stop();
  // As clusters were before passwords: trust, and no password file.
  ASSERT_TRUE(std::filesystem::remove(postgres.passfile()));
  {
    std::ofstream hba(postgres.data_dir() + "/pg_hba.conf", std::ios::trunc);
    hba << "host all all 127.0.0.1/32 trust\n";
    ASSERT_TRUE(hba.good());
  }
  postgres.Start();
  ExpectOnlyThePasswordAdmits(postgres.conninfo());
}

}  // namespace
}  // namespace shopstream::testing
