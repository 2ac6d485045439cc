#ifndef SHOPSTREAM_STORAGE_SCHEMA_MIGRATOR_H_
#define SHOPSTREAM_STORAGE_SCHEMA_MIGRATOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace shopstream {

struct Migration {
  std::string name;  // e.g. "0001_create_events.sql"; applied in name order
  std::string sql;
};

// The files of migrations/, compiled in.
const std::vector<Migration>& EmbeddedMigrations();

// Brings a database's schema up to date. Safe to run from several processes
// at once: an advisory lock serialises them, and each migration is applied
// once, in one transaction with its record in schema_migrations.
class SchemaMigrator {
 public:
  // ApplyWhenReachable's patience and pauses are counted on `clock`.
  explicit SchemaMigrator(
      std::vector<Migration> migrations = EmbeddedMigrations(),
      const Clock& clock = Clock::Real())
      : migrations_(std::move(migrations)), clock_(clock) {}

  // Returns the names of the migrations it applied.
  absl::StatusOr<std::vector<std::string>> Apply(
      const std::string& conninfo) const;

  // Apply, retrying while PostgreSQL is unreachable (it may still be
  // starting) until `patience` runs out.
  absl::StatusOr<std::vector<std::string>> ApplyWhenReachable(
      const std::string& conninfo, absl::Duration patience) const;

  // What a service does at start: ApplyWhenReachable with the embedded
  // migrations, logging each one applied, or why none could be.
  static absl::Status ApplyAtStart(const std::string& conninfo);

 private:
  std::vector<Migration> migrations_;
  const Clock& clock_;
};

}  // namespace shopstream

#endif  // SHOPSTREAM_STORAGE_SCHEMA_MIGRATOR_H_
