import type { Bucket } from "./types";

// Every number on the page goes through these, so that it reads the way the
// browser's locale writes numbers, money and dates.
export interface Formatters {
  count(value: number): string;
  // `value` is a percentage as the API gives it: 12.5 means 12.5 %.
  percent(value: number): string;
  money(value: number): string;
  dateTime(value: Date): string;
  bucketStart(value: Date, bucket: Bucket): string;
}

export function makeFormatters(
  locale: string | undefined,
  currency: string,
  timeZone?: string,
): Formatters {
  const count = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const percent = new Intl.NumberFormat(locale, {
    style: "percent",
    minimumFractionDigits: 0,
    maximumFractionDigits: 2,
  });
  let money: Intl.NumberFormat;
  try {
    money = new Intl.NumberFormat(locale, { style: "currency", currency });
  } catch {
    // An unknown currency code in the URL must not break the page.
    money = new Intl.NumberFormat(locale, { style: "currency", currency: "USD" });
  }
  const dateTime = new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "medium",
    timeZone,
  });
  const byBucket: Record<Bucket, Intl.DateTimeFormat> = {
    MINUTE: new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone }),
    HOUR: new Intl.DateTimeFormat(locale, {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZone,
    }),
    DAY: new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone }),
  };
  return {
    count: (value) => count.format(value),
    percent: (value) => percent.format(value / 100),
    money: (value) => money.format(value),
    dateTime: (value) => dateTime.format(value),
    bucketStart: (value, bucket) => byBucket[bucket].format(value),
  };
}

// "USD" unless the page's URL names another ISO 4217 code (?currency=EUR).
export function currencyFrom(search: string): string {
  const code = new URLSearchParams(search).get("currency")?.trim().toUpperCase() ?? "";
  return /^[A-Z]{3}$/.test(code) ? code : "USD";
}
