// A previous period's series beside the current one: the i-th previous
// bucket is drawn at the i-th current bucket (SeriesComparison in
// proto/shopstream/v1/analytics.proto), and may be missing at either end.
import type { TimeSeriesPoint } from "./types";

export type SeriesMetric = "page_views" | "add_to_carts" | "purchases" | "revenue";

export function alignPrevious(
  current: TimeSeriesPoint[],
  previous: TimeSeriesPoint[] | undefined,
  metric: SeriesMetric,
): (number | null)[] {
  return current.map((_point, i) => (previous && i < previous.length ? previous[i][metric] : null));
}
