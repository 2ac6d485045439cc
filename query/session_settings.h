#ifndef SHOPSTREAM_QUERY_SESSION_SETTINGS_H_
#define SHOPSTREAM_QUERY_SESSION_SETTINGS_H_

// PostgreSQL settings of the analytics queries: how each transaction
// begins, the pool's sessions, a transaction that scans raw events.
namespace shopstream {

// Every answer's transaction starts with it: one consistent snapshot,
// nothing written.
inline constexpr char kReadOnlySnapshot[] =
    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";

// For the pool RollupAnalytics runs on. Its statements read a few thousand
// rows, but the raw-event branch of a statement can be estimated at most of
// the events; at 10M events that made PostgreSQL start parallel workers
// (top products 23-33 ms with them, 14-17 ms without) and JIT-compile the
// plan (about 90 of 112 ms).
inline constexpr char kAnalyticsSessionSettings[] =
    "SET max_parallel_workers_per_gather = 0; SET jit = off";

// For one transaction that reads the matching raw events of a filter no
// rollup answers (several dimensions, filtered engagement and breakdowns):
// those scan a month of a shop's events, where parallel workers do help
// (a 30-day summary filtered on three dimensions took 756 ms alone, 402 ms
// with two workers, at 10M events), and counting distinct sessions spilled
// to disk at the default work_mem.
inline constexpr char kRawScanSettings[] =
    "SET LOCAL max_parallel_workers_per_gather = 2;"
    " SET LOCAL work_mem = '64MB'";

}  // namespace shopstream

#endif  // SHOPSTREAM_QUERY_SESSION_SETTINGS_H_
