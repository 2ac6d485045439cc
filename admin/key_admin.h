#ifndef SHOPSTREAM_ADMIN_KEY_ADMIN_H_
#define SHOPSTREAM_ADMIN_KEY_ADMIN_H_

#include <ostream>
#include <string>
#include <vector>

#include "auth/api_key_store.h"

namespace shopstream::admin {

struct KeyCommandOptions {
  std::string shop;
  std::string scope;
  std::string description;
  std::string key_id;
  std::string key;  // for verify
  // Collect keys: the origins of the pages that may use them.
  std::vector<std::string> origins;
};

// shopstream-admin's commands, over the api_keys table:
//   keys create --shop S --scope write|read|admin [--description D]
//   keys create --shop S --scope collect --origin https://shop.example[,...]
//       prints the new key alone on stdout (it is shown only this once)
//   keys list [--shop S]     one key per line, tab-separated, no secrets
//   keys revoke --key_id ID
//   keys verify --key K      exit 0 when K is a valid, unrevoked key
// Returns the process exit code: 0 done, 1 failed, 2 bad usage.
class KeyAdmin {
 public:
  explicit KeyAdmin(auth::ApiKeyStore* store) : store_(store) {}

  int Run(const std::vector<std::string>& command,
          const KeyCommandOptions& options, std::ostream& out,
          std::ostream& err);

 private:
  int Create(const KeyCommandOptions& options, std::ostream& out,
             std::ostream& err);
  int List(const KeyCommandOptions& options, std::ostream& out,
           std::ostream& err);
  int Revoke(const KeyCommandOptions& options, std::ostream& out,
             std::ostream& err);
  int Verify(const KeyCommandOptions& options, std::ostream& out,
             std::ostream& err);

  auth::ApiKeyStore* store_;
};

}  // namespace shopstream::admin

#endif  // SHOPSTREAM_ADMIN_KEY_ADMIN_H_
