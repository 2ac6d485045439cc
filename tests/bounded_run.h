#ifndef SHOPSTREAM_TESTS_BOUNDED_RUN_H_
#define SHOPSTREAM_TESTS_BOUNDED_RUN_H_

#include <chrono>
#include <string>
#include <vector>

namespace shopstream::testing {

// Runs argv (argv[0] an absolute path) in a process group of its own, so
// that a browser the program starts goes down with it on a timeout, and
// whatever is left in the group afterwards is killed too. Returns the exit
// code, or -1 when it could not start or had to be killed.
int RunBounded(std::vector<std::string> args,
               std::chrono::steady_clock::duration timeout);

}  // namespace shopstream::testing

#endif  // SHOPSTREAM_TESTS_BOUNDED_RUN_H_
