#include "common/service_process.h"

#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/termination.h"

namespace shopstream {

void InitServiceProcess(absl::string_view service_name) {
  BlockTerminationSignals();
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  SetLogService(service_name);
}

}  // namespace shopstream
