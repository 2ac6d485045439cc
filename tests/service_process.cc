#include "tests/service_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace shopstream::testing {
namespace {

// $SHOPSTREAM_BIN_DIR, or else the test's own folder: the build puts the
// services' binaries beside the tests.
std::string BinaryDir() {
  if (const char* dir = std::getenv("SHOPSTREAM_BIN_DIR")) return dir;
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) throw std::runtime_error("cannot find the binaries' folder");
  std::string path(self, n);
  return path.substr(0, path.rfind('/'));
}

}  // namespace

ServiceProcess::ServiceProcess(const std::string& binary,
                               std::vector<std::string> args,
                               const std::string& log_file) {
  const std::string path =
      binary.front() == '/' ? binary : BinaryDir() + "/" + binary;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Opened before fork: the child may only make async-signal-safe calls.
  int log_fd = -1;
  if (!log_file.empty()) {
    log_fd =
        open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot open " + log_file);
  }
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) {
    if (log_fd >= 0) close(log_fd);
    throw std::runtime_error("cannot start " + path);
  }
  if (pid_ == 0) {
    // Only async-signal-safe calls here. If the test dies (a crash, a ctest
    // timeout), the kernel kills the service too, so none outlives it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (log_fd >= 0 && dup2(log_fd, STDERR_FILENO) < 0) _exit(127);
    execve(path.c_str(), argv.data(), environ);
    _exit(127);
  }
  if (log_fd >= 0) close(log_fd);
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0 && Terminate(10000) == -1) Kill();
}

bool ServiceProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    exit_status_ = status;
    return false;
  }
  return true;
}

int ServiceProcess::Terminate(int timeout_ms) {
  if (pid_ <= 0) return 0;
  kill(pid_, SIGTERM);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return -1;
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

int FreePort() {
  // The kernel may offer a port again once its probe socket is closed, and
  // a stack asks for several before any service binds: never hand out the
  // same one twice in a process.
  static std::mutex mu;
  static std::set<int>* given = new std::set<int>();
  std::lock_guard<std::mutex> lock(mu);
  while (true) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    const int port = ntohs(addr.sin_port);
    if (given->insert(port).second) return port;
  }
}

bool WaitForPort(int port, int timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool ok =
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace shopstream::testing
