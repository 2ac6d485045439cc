#ifndef SHOPSTREAM_COMMON_FLAGS_H_
#define SHOPSTREAM_COMMON_FLAGS_H_

#include <string>
#include <vector>

namespace shopstream {

// The environment variable that can set flag `flag_name`:
// SHOPSTREAM_ plus the flag name in upper case (ingest_port ->
// SHOPSTREAM_INGEST_PORT).
std::string EnvironmentNameForFlag(const std::string& flag_name);

// Sets every flag that has an environment variable, then parses the command
// line, so an explicit flag beats the environment, which beats the default.
// Exits with a message naming the variable when a value does not parse.
std::vector<char*> ParseFlagsAndEnvironment(int argc, char** argv);

}  // namespace shopstream

#endif  // SHOPSTREAM_COMMON_FLAGS_H_
