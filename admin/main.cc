// shopstream-admin: manages API keys in the events database.
//   shopstream-admin keys create|list|revoke|verify [flags]
#include <iostream>

#include "absl/flags/flag.h"
#include "admin/key_admin.h"
#include "common/flags.h"
#include "storage/pg_conninfo.h"
#include "storage/schema_migrator.h"

ABSL_FLAG(std::string, postgres,
          "host=127.0.0.1 port=5432 user=postgres dbname=shopstream",
          "libpq connection string of the events database.");
ABSL_FLAG(std::string, shop, "", "Shop of the key (create, list).");
ABSL_FLAG(std::string, scope, "", "write (ingest) or read (analytics).");
ABSL_FLAG(std::string, description, "", "Free text kept with the key.");
ABSL_FLAG(std::string, key_id, "", "The key to revoke (see keys list).");
ABSL_FLAG(std::string, key, "", "The key to verify.");

int main(int argc, char** argv) {
  std::vector<char*> positional =
      shopstream::ParseFlagsAndEnvironment(argc, argv);
  std::vector<std::string> command(positional.begin() + 1, positional.end());
  const std::string conninfo =
      shopstream::WithNetworkTimeouts(absl::GetFlag(FLAGS_postgres));
  // The table may not exist yet when no service has started.
  if (absl::Status status =
          shopstream::SchemaMigrator().Apply(conninfo).status();
      !status.ok()) {
    std::cerr << "shopstream-admin: " << status.message() << "\n";
    return 1;
  }
  shopstream::PgConnectionPool pool(conninfo, 1);
  shopstream::auth::ApiKeyStore store(&pool);
  shopstream::admin::KeyAdmin admin(&store);
  return admin.Run(command,
                   {.shop = absl::GetFlag(FLAGS_shop),
                    .scope = absl::GetFlag(FLAGS_scope),
                    .description = absl::GetFlag(FLAGS_description),
                    .key_id = absl::GetFlag(FLAGS_key_id),
                    .key = absl::GetFlag(FLAGS_key)},
                   std::cout, std::cerr);
}
