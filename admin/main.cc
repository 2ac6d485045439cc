// shopstream-admin: manages API keys and checks rollups in the events
// database.
//   shopstream-admin keys create|list|revoke|verify [flags]
//   shopstream-admin rollups verify|rebuild --shop S [--from D] [--to D]
//   shopstream-admin shops set|list, sessions erase (admin/shop_admin.h)
#include <iostream>

#include "absl/flags/flag.h"
#include "admin/key_admin.h"
#include "admin/rollup_admin.h"
#include "admin/shop_admin.h"
#include "common/flags.h"
#include "storage/pg_conninfo.h"
#include "storage/schema_migrator.h"

ABSL_FLAG(std::string, postgres,
          "host=127.0.0.1 port=5432 user=postgres dbname=shopstream",
          "libpq connection string of the events database.");
ABSL_FLAG(std::string, shop, "",
          "Shop of the key (keys create, list) or of the rollups.");
ABSL_FLAG(std::string, scope, "",
          "write (ingest), read (analytics), collect (pages) or admin "
          "(analytics and the shop's AdminService).");
ABSL_FLAG(std::string, description, "", "Free text kept with the key.");
ABSL_FLAG(std::string, key_id, "", "The key to revoke (see keys list).");
ABSL_FLAG(std::string, key, "", "The key to verify.");
ABSL_FLAG(std::vector<std::string>, origin, {},
          "Collect keys: the origins (https://shop.example) whose pages may "
          "use the key, comma-separated.");
ABSL_FLAG(std::string, session, "", "sessions erase: the session to erase.");
ABSL_FLAG(std::optional<int>, raw_retention_days, std::nullopt,
          "shops set: days of the shop's raw events to keep; 0 takes the "
          "shop's own setting away.");
ABSL_FLAG(std::string, from, "",
          "rollups: first UTC day to check (2025-10-01); default: the "
          "shop's first kept raw event.");
ABSL_FLAG(std::string, to, "",
          "rollups: the UTC day after the last to check; default: the day "
          "after the shop's last raw event.");

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
  if (!command.empty() && command[0] == "rollups") {
    shopstream::rollups::RollupVerifier verifier(conninfo);
    return shopstream::admin::RollupAdmin(&verifier).Run(
        command,
        {.shop = absl::GetFlag(FLAGS_shop),
         .from = absl::GetFlag(FLAGS_from),
         .to = absl::GetFlag(FLAGS_to)},
        std::cout, std::cerr);
  }
  if (!command.empty() && (command[0] == "shops" || command[0] == "sessions")) {
    return shopstream::admin::ShopAdmin(conninfo).Run(
        command,
        {.shop = absl::GetFlag(FLAGS_shop),
         .session = absl::GetFlag(FLAGS_session),
         .raw_retention_days = absl::GetFlag(FLAGS_raw_retention_days)},
        std::cout, std::cerr);
  }
  shopstream::PgConnectionPool pool(conninfo, 1);
  shopstream::auth::ApiKeyStore store(&pool);
  shopstream::admin::KeyAdmin admin(&store);
  return admin.Run(command,
                   {.shop = absl::GetFlag(FLAGS_shop),
                    .scope = absl::GetFlag(FLAGS_scope),
                    .description = absl::GetFlag(FLAGS_description),
                    .key_id = absl::GetFlag(FLAGS_key_id),
                    .key = absl::GetFlag(FLAGS_key),
                    .origins = absl::GetFlag(FLAGS_origin)},
                   std::cout, std::cerr);
}
