#ifndef SHOPSTREAM_COMMON_SERVICE_PROCESS_H_
#define SHOPSTREAM_COMMON_SERVICE_PROCESS_H_

#include "absl/strings/string_view.h"

namespace shopstream {

// What every shopstream binary does first thing in main, before any thread
// starts: termination signals go to WaitForTerminationSignal, logs carry the
// service's name, and Abseil's mutex deadlock detection is off.
//
// Debian's Abseil is built with deadlock detection on; it records a graph
// node per mutex and a stack per lock, and gRPC locks absl::Mutex many
// times per call. It showed as a tenth of the gateway's CPU under load.
void InitServiceProcess(absl::string_view service_name);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_SERVICE_PROCESS_H_
