#include "admin/rollup_admin.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace shopstream::admin {
namespace {

constexpr char kUsage[] =
    "usage: shopstream-admin rollups verify --shop S [--from DAY] [--to DAY]\n"
    "       shopstream-admin rollups rebuild --shop S [--from DAY] [--to DAY]\n"
    "       DAY: a UTC day, 2025-10-01 (or 2025-10-01T00:00:00Z)\n";

// Empty: not given.
absl::StatusOr<std::optional<absl::Time>> ParseDay(absl::string_view flag,
                                                   const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::Time t;
  std::string error;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &error) ||
      absl::ParseTime(absl::RFC3339_full, text, &t, &error)) {
    return std::optional<absl::Time>(t);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": not a day (2025-10-01): \"", text, "\""));
}

std::string DayText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone());
}

}  // namespace

int RollupAdmin::Run(const std::vector<std::string>& command,
                     const RollupCommandOptions& options, std::ostream& out,
                     std::ostream& err) {
  if (command.size() != 2 || command[0] != "rollups" ||
      (command[1] != "verify" && command[1] != "rebuild")) {
    err << kUsage;
    return 2;
  }
  const bool rebuild = command[1] == "rebuild";
  const std::string name = absl::StrCat("rollups ", command[1]);
  if (options.shop.empty()) {
    err << name << ": --shop is required\n" << kUsage;
    return 2;
  }
  auto from = ParseDay("from", options.from);
  auto to = ParseDay("to", options.to);
  for (const absl::Status& s : {from.status(), to.status()}) {
    if (!s.ok()) {
      err << name << ": --" << s.message() << "\n";
      return 2;
    }
  }
  absl::StatusOr<rollups::VerifyReport> report =
      rebuild ? verifier_->Rebuild(options.shop, *from, *to)
              : verifier_->Verify(options.shop, *from, *to);
  if (!report.ok()) {
    err << name << ": "
        << (report.status().code() == absl::StatusCode::kInvalidArgument ? "--"
                                                                         : "")
        << report.status().message() << "\n";
    return report.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  out << "shop " << options.shop << ", days " << DayText(report->from) << " to "
      << DayText(report->to) << " (exclusive)"
      << (report->whole_history ? ", whole history" : "") << "\n";
  if (report->ok()) {
    out << "no difference\n";
    return 0;
  }
  out << "table\tmissing\tunexpected\n";
  for (const rollups::TableDifference& d : report->differences) {
    out << d.table << "\t" << d.missing << "\t" << d.unexpected << "\n";
  }
  if (rebuild) {
    out << "rebuilt: " << report->differences.size() << " table(s)\n";
    return 0;
  }
  return 1;
}

}  // namespace shopstream::admin
