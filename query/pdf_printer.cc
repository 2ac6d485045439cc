#include "query/pdf_printer.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace shopstream {
namespace {

// How long a caller refused for a full house is told to wait.
constexpr absl::Duration kBusyRetryDelay = absl::Seconds(2);
// How often a running Chromium is looked at.
constexpr absl::Duration kWaitStep = absl::Milliseconds(10);
// Of Chromium's output, what goes into an error (its last words).
constexpr size_t kLogTail = 600;

std::string ErrnoText(int error) { return std::strerror(error); }

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": not there"));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string LogTail(const std::string& path) {
  absl::StatusOr<std::string> log = ReadFile(path);
  if (!log.ok() || log->empty()) return "(no output)";
  return log->size() <= kLogTail ? *log : log->substr(log->size() - kLogTail);
}

std::string TempRoot(const std::string& configured) {
  if (!configured.empty()) return configured;
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs `args` in a process group of its own with `env`, output to
// `log_path`; kills the whole group when `timeout` passes and in any case
// once the leader is gone (renderers that outlive the browser). The exit
// status, or DEADLINE_EXCEEDED.
absl::StatusOr<int> RunBounded(std::vector<std::string> args,
                               std::vector<std::string> env,
                               const std::string& log_path,
                               absl::Duration timeout) {
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  absl::Cleanup files_done = [&files] {
    posix_spawn_file_actions_destroy(&files);
  };
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY,
                                   0);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  absl::Cleanup attr_done = [&attr] { posix_spawnattr_destroy(&attr); };
  // The services block SIGTERM in every thread (they sigwait for it) and
  // ignore SIGPIPE; Chromium must get neither.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD}) {
    sigaddset(&defaults, sig);
  }
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv = Pointers(args);
  std::vector<char*> envp = Pointers(env);
  pid_t pid = 0;
  if (const int error =
          posix_spawn(&pid, argv[0], &files, &attr, argv.data(), envp.data());
      error != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot start ", args[0], ": ", ErrnoText(error)));
  }
  // Its group id is its pid. Renderers orphaned by the browser come to
  // this process (a subreaper, see the constructor) and are reaped here
  // too, so none lingers as a zombie where the service is a container's
  // first process.
  absl::Cleanup kill_group = [pid] {
    kill(-pid, SIGKILL);
    while (waitpid(-pid, nullptr, 0) > 0 || errno == EINTR) {
    }
  };
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) {
      return absl::UnavailableError(
          absl::StrCat("waiting for ", args[0], ": ", ErrnoText(errno)));
    }
    if (absl::Now() >= deadline) {
      kill(-pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return absl::DeadlineExceededError(
          absl::StrCat("no PDF within ", absl::FormatDuration(timeout),
                       "; the process group was killed"));
    }
    absl::SleepFor(kWaitStep);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

PdfPrinter::PdfPrinter(PdfPrinterOptions options)
    : options_(std::move(options)) {
  // Chromium's processes that outlive it become this process's children
  // rather than init's, so RunBounded can reap them.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
}

absl::StatusOr<std::string> PdfPrinter::Print(absl::string_view html) const {
  if (running_.fetch_add(1) >= options_.max_concurrent) {
    running_.fetch_sub(1);
    return WithRetryDelay(
        absl::ResourceExhaustedError(absl::StrCat(
            "report: this server renders at most ", options_.max_concurrent,
            " at once and all are busy; retry after a pause")),
        kBusyRetryDelay);
  }
  absl::Cleanup release = [this] { running_.fetch_sub(1); };

  std::string dir = TempRoot(options_.temp_dir) + "/shopstream-report-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("chromium: cannot make a directory like ", dir, ": ",
                     ErrnoText(errno)));
  }
  absl::Cleanup remove = [&dir] {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  };
  return PrintIn(dir, html);
}

absl::StatusOr<std::string> PdfPrinter::PrintIn(const std::string& dir,
                                                absl::string_view html) const {
  if (access(options_.chromium_path.c_str(), X_OK) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "chromium: ", options_.chromium_path, ": ", ErrnoText(errno)));
  }
  const std::string page = dir + "/report.html";
  const std::string pdf = dir + "/report.pdf";
  const std::string log = dir + "/chromium.log";
  {
    std::ofstream out(page, std::ios::binary);
    out.write(html.data(), static_cast<std::streamsize>(html.size()));
    if (!out.flush()) {
      return absl::UnavailableError(
          absl::StrCat("chromium: cannot write ", page));
    }
  }
  std::vector<std::string> args = {
      options_.chromium_path,
      "--headless",
      "--disable-gpu",
      absl::StrCat("--user-data-dir=", dir, "/profile"),
      // No network for the page, whatever it asks: no name resolves, and
      // every connection, loopback included, goes to a proxy on the discard
      // port, where nothing answers.
      "--host-resolver-rules=MAP * ~NOTFOUND",
      "--proxy-server=127.0.0.1:9",
      "--proxy-bypass-list=<-loopback>",
      // Nor for Chromium itself.
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-domain-reliability",
      "--disable-sync",
      "--disable-extensions",
      "--disable-default-apps",
      "--no-first-run",
      "--no-default-browser-check",
      // Containers' /dev/shm is small.
      "--disable-dev-shm-usage",
      "--mute-audio",
      "--no-pdf-header-footer",
      absl::StrCat("--print-to-pdf=", pdf),
  };
  if (!options_.sandbox || geteuid() == 0) args.push_back("--no-sandbox");
  args.push_back(absl::StrCat("file://", page));
  // Nothing of the service's environment (its database's password among
  // it); a home inside the private directory, which Chromium writes to.
  std::vector<std::string> env = {
      "PATH=/usr/bin:/bin",
      absl::StrCat("HOME=", dir),
      absl::StrCat("TMPDIR=", dir),
      absl::StrCat("XDG_CONFIG_HOME=", dir, "/config"),
      absl::StrCat("XDG_CACHE_HOME=", dir, "/cache"),
      "LANG=C.UTF-8",
  };

  absl::StatusOr<int> exit_code =
      RunBounded(std::move(args), std::move(env), log, options_.timeout);
  if (!exit_code.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "chromium: ", exit_code.status().message(), "; ", LogTail(log)));
  }
  if (*exit_code != 0) {
    return absl::UnavailableError(absl::StrCat("chromium: exited with status ",
                                               *exit_code, "; ", LogTail(log)));
  }
  absl::StatusOr<std::string> bytes = ReadFile(pdf);
  if (!bytes.ok() || !absl::StartsWith(*bytes, "%PDF-")) {
    return absl::UnavailableError(
        absl::StrCat("chromium: exited without a PDF; ", LogTail(log)));
  }
  return bytes;
}

}  // namespace shopstream
