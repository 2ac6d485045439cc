#include "admin/shop_admin.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/event_validator.h"
#include "rollups/session_eraser.h"
#include "storage/pg_status.h"

namespace shopstream::admin {
namespace {

constexpr char kUsage[] =
    "usage: shopstream-admin shops set --shop S --raw_retention_days N\n"
    "       shopstream-admin shops list\n"
    "       shopstream-admin sessions erase --shop S --session X\n";

}  // namespace

int ShopAdmin::Run(const std::vector<std::string>& command,
                   const ShopCommandOptions& options, std::ostream& out,
                   std::ostream& err) const {
  if (command.size() == 2 && command[0] == "shops" && command[1] == "set") {
    return Set(options, out, err);
  }
  if (command.size() == 2 && command[0] == "shops" && command[1] == "list") {
    return List(out, err);
  }
  if (command.size() == 2 && command[0] == "sessions" &&
      command[1] == "erase") {
    return Erase(options, out, err);
  }
  err << kUsage;
  return 2;
}

int ShopAdmin::Set(const ShopCommandOptions& options, std::ostream& out,
                   std::ostream& err) const {
  if (options.shop.empty() || options.shop.size() > kMaxShopIdBytes) {
    err << "shops set: --shop is required (at most " << kMaxShopIdBytes
        << " bytes)\n"
        << kUsage;
    return 2;
  }
  if (!options.raw_retention_days.has_value() ||
      *options.raw_retention_days < 0) {
    err << "shops set: --raw_retention_days: a number of days, 0 to take "
           "the shop's own retention away\n"
        << kUsage;
    return 2;
  }
  const int days = *options.raw_retention_days;
  absl::Status status = RunPgVoid([&] {
    pqxx::connection conn(conninfo_);
    pqxx::work tx(conn);
    // The horizon stays where it was: what was deleted stays deleted.
    tx.exec_params0(
        "INSERT INTO shop_settings (shop_id, raw_retention_days)"
        " VALUES ($1, $2) ON CONFLICT (shop_id) DO UPDATE"
        " SET raw_retention_days = excluded.raw_retention_days",
        options.shop, days > 0 ? std::optional<int>(days) : std::nullopt);
    tx.commit();
  });
  if (!status.ok()) {
    err << "shops set: " << status.message() << "\n";
    return 1;
  }
  if (days > 0) {
    out << "shop " << options.shop << " keeps raw events " << days
        << " days; the processor deletes older ones within the hour (rollups "
           "stay)\n";
  } else {
    out << "shop " << options.shop
        << " has no retention of its own; the processor's applies\n";
  }
  return 0;
}

int ShopAdmin::List(std::ostream& out, std::ostream& err) const {
  absl::StatusOr<pqxx::result> rows = RunPg([&] {
    pqxx::connection conn(conninfo_);
    pqxx::work tx(conn);
    return tx.exec(
        "SELECT shop_id, coalesce(raw_retention_days::text, '-'),"
        " coalesce(to_char(raw_horizon AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-')"
        " FROM shop_settings ORDER BY shop_id");
  });
  if (!rows.ok()) {
    err << "shops list: " << rows.status().message() << "\n";
    return 1;
  }
  out << "shop\traw_retention_days\traw_events_kept_from\n";
  for (const pqxx::row& row : *rows) {
    out << row[0].as<std::string>() << "\t" << row[1].as<std::string>() << "\t"
        << row[2].as<std::string>() << "\n";
  }
  return 0;
}

int ShopAdmin::Erase(const ShopCommandOptions& options, std::ostream& out,
                     std::ostream& err) const {
  absl::StatusOr<rollups::ErasedSession> erased =
      rollups::SessionEraser(conninfo_).Erase(options.shop, options.session);
  if (!erased.ok()) {
    const bool usage =
        erased.status().code() == absl::StatusCode::kInvalidArgument;
    err << "sessions erase: " << (usage ? "--" : "")
        << erased.status().message() << "\n";
    if (usage) err << kUsage;
    return usage ? 2 : 1;
  }
  out << "erased session " << options.session << " of shop " << options.shop
      << ": " << erased->events << " raw events; rollups of its days "
      << "recounted (" << erased->tables_rebuilt << " tables changed)\n";
  return 0;
}

}  // namespace shopstream::admin
