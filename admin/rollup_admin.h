#ifndef SHOPSTREAM_ADMIN_ROLLUP_ADMIN_H_
#define SHOPSTREAM_ADMIN_ROLLUP_ADMIN_H_

#include <ostream>
#include <string>
#include <vector>

#include "rollups/rollup_verifier.h"

namespace shopstream::admin {

struct RollupCommandOptions {
  std::string shop;
  std::string from;  // a UTC day, 2025-10-01 or 2025-10-01T00:00:00Z
  std::string to;
};

// shopstream-admin's rollup commands:
//   rollups verify --shop S [--from DAY] [--to DAY]
//       recomputes the shop's rollups from its raw events and prints each
//       table that differs; exit 0 when none does, 1 when one does
//   rollups rebuild --shop S [--from DAY] [--to DAY]
//       the same, then rewrites what differed (while no fold runs)
// Ranges are whole UTC days of raw events still kept. Exit 2: bad usage.
class RollupAdmin {
 public:
  explicit RollupAdmin(const rollups::RollupVerifier* verifier)
      : verifier_(verifier) {}

  int Run(const std::vector<std::string>& command,
          const RollupCommandOptions& options, std::ostream& out,
          std::ostream& err);

 private:
  const rollups::RollupVerifier* verifier_;
};

}  // namespace shopstream::admin

#endif  // SHOPSTREAM_ADMIN_ROLLUP_ADMIN_H_
