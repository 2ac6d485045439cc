#ifndef SHOPSTREAM_ADMIN_SHOP_ADMIN_H_
#define SHOPSTREAM_ADMIN_SHOP_ADMIN_H_

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace shopstream::admin {

struct ShopCommandOptions {
  std::string shop;
  std::string session;
  // shops set: days of raw events to keep; 0 takes the shop's own setting
  // away. Unset: not given.
  std::optional<int> raw_retention_days;
};

// shopstream-admin's commands about one shop's data:
//   shops set --shop S --raw_retention_days N
//       keeps the shop's raw events N days (whole UTC days; the processor
//       deletes older ones hourly, rollups stay); 0 takes the setting away
//   shops list
//       every shop with a setting, tab-separated
//   sessions erase --shop S --session X
//       a data-subject request: deletes the session's raw events and every
//       row naming it, and recounts the rollups of its days
// Returns the process exit code: 0 done, 1 failed, 2 bad usage.
class ShopAdmin {
 public:
  explicit ShopAdmin(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  int Run(const std::vector<std::string>& command,
          const ShopCommandOptions& options, std::ostream& out,
          std::ostream& err) const;

 private:
  int Set(const ShopCommandOptions& options, std::ostream& out,
          std::ostream& err) const;
  int List(std::ostream& out, std::ostream& err) const;
  int Erase(const ShopCommandOptions& options, std::ostream& out,
            std::ostream& err) const;

  const std::string conninfo_;
};

}  // namespace shopstream::admin

#endif  // SHOPSTREAM_ADMIN_SHOP_ADMIN_H_
