#ifndef SHOPSTREAM_COMMON_TERMINATION_H_
#define SHOPSTREAM_COMMON_TERMINATION_H_

namespace shopstream {

// Call first thing in main, before any thread starts: SIGTERM and SIGINT are
// then delivered only to WaitForTerminationSignal, so a service can shut down
// in order instead of in a signal handler.
void BlockTerminationSignals();

// Blocks until SIGTERM or SIGINT arrives; returns the signal number.
int WaitForTerminationSignal();

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_TERMINATION_H_
