#include "storage/schema_migrator.h"

#include <algorithm>
#include <pqxx/pqxx>
#include <set>

#include "absl/time/clock.h"
#include "common/log.h"
#include "storage/pg_status.h"

namespace shopstream {
namespace {

// Any constant both sides agree on; it names "schema changes" for
// pg_advisory_xact_lock.
constexpr int64_t kMigrationLockKey = 0x73686f7073747265;  // "shopstre"

}  // namespace

absl::StatusOr<std::vector<std::string>> SchemaMigrator::Apply(
    const std::string& conninfo) const {
  std::vector<Migration> ordered = migrations_;
  std::sort(
      ordered.begin(), ordered.end(),
      [](const Migration& a, const Migration& b) { return a.name < b.name; });
  return RunPg([&] {
    pqxx::connection conn(conninfo);
    pqxx::work tx(conn);
    tx.exec("SELECT pg_advisory_xact_lock(" +
            std::to_string(kMigrationLockKey) + ")");
    tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name text PRIMARY KEY,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    std::set<std::string> done;
    for (const auto& row : tx.exec("SELECT name FROM schema_migrations")) {
      done.insert(row[0].as<std::string>());
    }
    std::vector<std::string> applied;
    for (const auto& m : ordered) {
      if (done.count(m.name) > 0) continue;
      tx.exec(m.sql);
      tx.exec_params("INSERT INTO schema_migrations (name) VALUES ($1)",
                     m.name);
      applied.push_back(m.name);
    }
    tx.commit();
    return applied;
  });
}

absl::StatusOr<std::vector<std::string>> SchemaMigrator::ApplyWhenReachable(
    const std::string& conninfo, absl::Duration patience) const {
  const absl::Time give_up = clock_.Now() + patience;
  absl::Duration pause = absl::Milliseconds(100);
  while (true) {
    auto applied = Apply(conninfo);
    if (applied.ok() || !IsTransientPgStatus(applied.status()) ||
        clock_.Now() + pause > give_up) {
      return applied;
    }
    LogWarning("waiting for postgres",
               {{"error", std::string(applied.status().message())}});
    clock_.SleepFor(pause);
    pause = std::min(pause * 2, absl::Seconds(2));
  }
}

absl::Status SchemaMigrator::ApplyAtStart(const std::string& conninfo) {
  auto applied =
      SchemaMigrator().ApplyWhenReachable(conninfo, absl::Seconds(30));
  if (!applied.ok()) {
    LogError("migrations failed",
             {{"error", std::string(applied.status().message())}});
    return applied.status();
  }
  for (const auto& name : *applied)
    LogInfo("migration applied", {{"name", name}});
  return absl::OkStatus();
}

}  // namespace shopstream
