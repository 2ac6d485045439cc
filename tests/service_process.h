#ifndef SHOPSTREAM_TESTS_SERVICE_PROCESS_H_
#define SHOPSTREAM_TESTS_SERVICE_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace shopstream::testing {

// A shopstream binary run as a real child process. The destructor stops it
// (SIGTERM, then SIGKILL), so no test leaves a process behind; should the
// test process die first, the kernel kills the child. That death signal
// follows the thread that started the child, so start services from the
// test's main thread.
class ServiceProcess {
 public:
  // `binary` is a file name in $SHOPSTREAM_BIN_DIR, or an absolute path
  // (a tool the tests use, such as a Prometheus server). With `log_file`, the
  // process's stderr (its log) is appended there instead of the test's.
  ServiceProcess(const std::string& binary, std::vector<std::string> args,
                 const std::string& log_file = "");
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Sends SIGTERM and waits up to `timeout_ms`; returns the exit status
  // (as from waitpid), or -1 when it had to be killed.
  int Terminate(int timeout_ms = 20000);
  void Kill();
  bool running();
  // Once running() has seen the process exit: its status as from waitpid;
  // -1 before.
  int exit_status() const { return exit_status_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// True once something accepts connections on 127.0.0.1:port, within
// `timeout_ms`.
bool WaitForPort(int port, int timeout_ms = 30000);

}  // namespace shopstream::testing

#endif  // SHOPSTREAM_TESTS_SERVICE_PROCESS_H_
