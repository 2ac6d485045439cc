#include "tests/private_postgres.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "tests/service_process.h"

namespace shopstream::testing {
namespace {

// Runs scripts/pg.sh with `args`; true when it succeeded.
bool RunPgScript(const std::string& args) {
  const std::string command =
      absl::StrCat(SHOPSTREAM_PG_SCRIPT, " ", args, " >/dev/null");
  const int status = std::system(command.c_str());
  return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

PrivatePostgres::PrivatePostgres() : port_(FreePort()) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "shopstream-pg-XXXXXX")
          .string();
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("cannot make a folder for PostgreSQL");
  }
  folder_ = pattern;
  // The server runs as the `postgres` user when the test runs as root; it
  // must be able to reach its data folder.
  chmod(folder_.c_str(), 0755);
  try {
    Start();
  } catch (...) {
    std::filesystem::remove_all(folder_);
    throw;
  }
}

PrivatePostgres::~PrivatePostgres() {
  Stop(/*immediate=*/true);
  std::error_code ignored;
  std::filesystem::remove_all(folder_, ignored);
}

void PrivatePostgres::Start() {
  if (!RunPgScript(absl::StrCat("start ", data_dir(), " ", port_))) {
    throw std::runtime_error("cannot start a private PostgreSQL");
  }
}

void PrivatePostgres::Stop(bool immediate) {
  RunPgScript(absl::StrCat("stop ", data_dir(), " ", port_,
                           immediate ? " --immediate" : ""));
}

std::string PrivatePostgres::conninfo() const {
  return absl::StrCat("host=127.0.0.1 port=", port_,
                      " user=postgres dbname=postgres passfile=", passfile());
}

std::string PrivatePostgres::data_dir() const { return folder_ + "/data"; }

std::string PrivatePostgres::passfile() const { return data_dir() + "/pgpass"; }

}  // namespace shopstream::testing
