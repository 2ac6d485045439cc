// End-to-end check of the dashboard in Debian's Chromium against a running
// shopstream stack (tests/dashboard_browser_test.cc starts one):
//   node e2e/dashboard.e2e.mjs --base-url http://127.0.0.1:8080 --out DIR \
//     [--shop ID] [--read-key KEY] [--write-key KEY]
// The keys (also SHOPSTREAM_READ_KEY, SHOPSTREAM_WRITE_KEY) are needed when
// the server requires API keys; the read key goes into the page's URL
// fragment, and must then leave the address bar and never appear in a
// request URL: the live stream and server exports carry tickets instead.
// The page's Content-Security-Policy must hold without a violation.
// Parts of the API that the server does not offer yet (404/501) are
// detected first; the page must then show that, and everything else must
// still work. Exits 0 when every check passed.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

import { boundRun, check, stepLogger } from "./harness.mjs";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string" },
    out: { type: "string", default: "dashboard-e2e" },
    "timeout-ms": { type: "string", default: "120000" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    shop: { type: "string" },
    "read-key": { type: "string" },
    "write-key": { type: "string" },
  },
});
const base = args["base-url"];
if (!base) {
  console.error("--base-url: required");
  process.exit(2);
}
const out = args.out;
mkdirSync(out, { recursive: true });
const readKey = args["read-key"] ?? process.env.SHOPSTREAM_READ_KEY ?? "";
const writeKey = args["write-key"] ?? process.env.SHOPSTREAM_WRITE_KEY ?? "";
const shop = args.shop ?? `e2e-${Date.now().toString(36)}`;
const LIVE_DEADLINE_MS = 2_000;

let browser = null;
const overall = boundRun(args["timeout-ms"], () => browser);
const step = stepLogger("dashboard e2e");

function authHeaders(key) {
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// 200 with the expected content type, or the status the server gave.
async function probe(path, contentType) {
  const abort = new AbortController();
  try {
    const response = await fetch(`${base}${path}`, { headers: authHeaders(readKey), signal: abort.signal });
    const type = response.headers.get("content-type") ?? "";
    abort.abort(); // a stream would never end
    return response.status === 200 && type.startsWith(contentType);
  } catch (error) {
    if (error.name === "AbortError") return true;
    throw error;
  }
}

async function postEvent(event) {
  const response = await fetch(`${base}/v1/events`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...authHeaders(writeKey) },
    body: JSON.stringify({ shop_id: shop, timestamp: new Date().toISOString(), ...event }),
  });
  check(response.status === 202, `POST /v1/events answered ${response.status}: ${await response.text()}`);
}

// Every request URL the pages make, and every Content-Security-Policy
// violation they report, from before their first script runs.
const requestUrls = [];
const cspViolations = [];
function watchSecurity(context) {
  context.on("request", (request) => requestUrls.push(request.url()));
  context.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      cspViolations.push(message.text());
    }
  });
  return context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
}
async function pageViolations(page) {
  return page.evaluate(() => window.__cspViolations ?? []);
}
// URLs the test itself opens with the key in them (an old bookmark).
const legacyUrls = new Set();
function urlsWithKey() {
  if (!readKey) return [];
  return requestUrls.filter(
    (url) => !legacyUrls.has(url) && (url.includes(readKey) || decodeURIComponent(url).includes(readKey)),
  );
}
function checkAddressBar(page) {
  if (!readKey) return;
  check(!page.url().includes(readKey) && !new URL(page.url()).searchParams.has("key"), `the key is in the address bar: ${page.url()}`);
  check(!new URL(page.url()).hash.includes("key="), `the key is in the address bar: ${page.url()}`);
}

async function cardValue(page, metric) {
  return page.getAttribute(`[data-metric="${metric}"]`, "data-value");
}

async function waitForCard(page, metric, value, timeout) {
  await page.waitForSelector(`[data-metric="${metric}"][data-value="${value}"]`, { timeout });
}

async function main() {
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const later = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const window = `from=${hourAgo}&to=${later}`;
  const has = {
    stream: await probe(`/v1/shops/${shop}/summary:watch`, "text/event-stream"),
    series: await probe(`/v1/shops/${shop}/timeseries?${window}&bucket=MINUTE`, "application/json"),
    products: await probe(`/v1/shops/${shop}/products/top?${window}`, "application/json"),
    funnel: await probe(`/v1/shops/${shop}/funnel?${window}`, "application/json"),
  };
  step(`server offers: ${JSON.stringify(has)}`);

  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  const context = await browser.newContext({
    locale: "en-US",
    timezoneId: "UTC",
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  await watchSecurity(context);
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  const streamUrls = [];
  page.on("request", (request) => {
    if (request.url().includes("summary:watch")) streamUrls.push(request.url());
  });

  // The key in the fragment, which no request carries.
  const keyFragment = readKey ? `#key=${encodeURIComponent(readKey)}` : "";
  const pageResponse = await page.goto(`${base}/?shop=${shop}&range=1h${keyFragment}`);
  check(pageResponse?.status() === 200, `GET / answered ${pageResponse?.status()}`);
  const headers = pageResponse.headers();
  const policy = headers["content-security-policy"] ?? "";
  for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"]) {
    check(policy.includes(directive), `Content-Security-Policy lacks ${directive}: "${policy}"`);
  }
  check(headers["referrer-policy"] === "no-referrer", `Referrer-Policy: ${headers["referrer-policy"]}`);
  check(headers["x-content-type-options"] === "nosniff", `X-Content-Type-Options: ${headers["x-content-type-options"]}`);
  await waitForCard(page, "total_page_views", "0", 10_000);
  checkAddressBar(page);
  await page.waitForSelector('[data-state="empty"]', { timeout: 5_000 });
  const expectedState = has.stream ? "live" : "polling";
  await page.waitForSelector(`.connection[data-state="${expectedState}"]`, { timeout: 10_000 });
  step(`empty shop shown; connection ${expectedState}`);
  await page.screenshot({ path: join(out, "1-empty.png"), fullPage: true });

  // Live: events posted now show up without a reload.
  await page.evaluate(() => {
    window.__notReloaded = true;
  });
  await postEvent({ event_type: "page_view", product_id: "prod-a", session_id: "s1" });
  await postEvent({ event_type: "page_view", product_id: "prod-a", session_id: "s2" });
  await postEvent({ event_type: "page_view", product_id: "prod-b", session_id: "s1" });
  await postEvent({ event_type: "add_to_cart", product_id: "prod-a", session_id: "s1" });
  await postEvent({ event_type: "purchase", product_id: "prod-a", session_id: "s1", order_amount: 99.99 });
  const acked = Date.now();
  await waitForCard(page, "total_page_views", "3", LIVE_DEADLINE_MS);
  await waitForCard(page, "total_purchases", "1", Math.max(1, acked + LIVE_DEADLINE_MS - Date.now()));
  const cardsAfter = Date.now() - acked;
  if (has.series) {
    await page.waitForSelector('figure.chart[data-total-page-views="3"]', {
      timeout: Math.max(1, acked + LIVE_DEADLINE_MS - Date.now()),
    });
  }
  const allAfter = Date.now() - acked;
  check(await page.evaluate(() => window.__notReloaded === true), "the page reloaded");
  step(`cards updated ${cardsAfter} ms after the last acknowledgement; cards${has.series ? " and chart" : ""} within ${allAfter} ms`);
  check((await cardValue(page, "top_product_id")) === "prod-a", "top product card");
  const average = await page.textContent('[data-metric="average_purchase_value"] .card-value');
  check(average?.trim() === "$99.99", `average purchase shows ${average}`);
  const conversion = await page.textContent('[data-metric="conversion_rate"] .card-value');
  check(conversion?.trim() === "33.33%", `conversion rate shows ${conversion}`);

  if (!has.series) {
    await page.waitForSelector('section[aria-labelledby="series-title"] .notice', { timeout: 5_000 });
    step("time series not on this server: the panel says so");
  }
  if (has.products) {
    await page.waitForSelector('tr[data-product="prod-a"]', { timeout: 5_000 });
    await page.click('button.sort[data-column="product_id"]');
    const first = await page.getAttribute("table.products tbody tr:first-child", "data-product");
    check(first === "prod-a", `sorted by product id, first row is ${first}`);
    await page.click('button.sort[data-column="product_id"]');
    const flipped = await page.getAttribute("table.products tbody tr:first-child", "data-product");
    check(flipped === "prod-b", `sorted by product id descending, first row is ${flipped}`);
    step("top products sortable");
  } else {
    await page.waitForSelector('section[aria-labelledby="products-title"] .notice', { timeout: 5_000 });
  }
  if (has.funnel) {
    await page.waitForSelector('[data-step="purchase"][data-sessions="1"]', { timeout: 5_000 });
    step("funnel shown");
  }
  await page.screenshot({ path: join(out, "2-live.png"), fullPage: true });

  // CSV of what is shown.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click('button[data-csv="summary"]')]);
  const summaryFile = join(out, "summary.csv");
  await download.saveAs(summaryFile);
  const csv = readFileSync(summaryFile, "utf8");
  check(csv.includes(`${shop},`) && csv.includes(",total_page_views,3\r\n"), `summary CSV:\n${csv}`);
  check(csv.includes(",top_product_id,prod-a\r\n"), `summary CSV top product:\n${csv}`);
  if (has.series) {
    const [seriesDownload] = await Promise.all([
      page.waitForEvent("download"),
      page.click('button[data-csv="timeseries"]'),
    ]);
    const seriesFile = join(out, "timeseries.csv");
    await seriesDownload.saveAs(seriesFile);
    const rows = readFileSync(seriesFile, "utf8").trim().split("\r\n").slice(1);
    const views = rows.reduce((sum, row) => sum + Number(row.split(",")[1]), 0);
    check(views === 3, `time series CSV counts ${views} page views`);
  }
  step("CSV downloaded and checked");

  // The server's exports, through a link that carries a ticket.
  for (const [what, available, checkCsv] of [
    [
      "timeseries",
      has.series,
      (text) => {
        const rows = text.trim().split("\r\n").slice(1);
        return rows.reduce((sum, row) => sum + Number(row.split(",")[1]), 0) === 3;
      },
    ],
    ["products", has.products, (text) => /\r\nprod-a,2,1,1,99\.99,/.test(text)],
  ]) {
    if (!available) continue;
    const [exported] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`[data-export="${what}"]`),
    ]);
    const exportFile = join(out, `server-${what}.csv`);
    await exported.saveAs(exportFile);
    const text = readFileSync(exportFile, "utf8");
    check(checkCsv(text), `server ${what} CSV:\n${text}`);
    if (readKey) {
      check(new URL(exported.url()).searchParams.has("ticket"), `the ${what} export has no ticket: ${exported.url()}`);
    }
  }
  step("server exports downloaded through tickets");

  // Range: a past hour holds none of the events; 24 hours holds them all.
  await page.selectOption("#range", "custom");
  const pad = (n) => String(n).padStart(2, "0");
  const local = (d) =>
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  await page.fill("#from", local(new Date(Date.now() - 3 * 3_600_000)));
  await page.fill("#to", local(new Date(Date.now() - 2 * 3_600_000)));
  await page.locator("#to").blur();
  await waitForCard(page, "total_page_views", "0", 5_000);
  step("custom range in the past shows nothing");
  await page.selectOption("#range", "24h");
  await waitForCard(page, "total_page_views", "3", 5_000);
  if (has.series) {
    await page.waitForSelector('figure.chart[data-points="25"][data-total-page-views="3"]', { timeout: 5_000 });
  }
  const rangeText = await page.textContent(".range-text");
  step(`range switched to 24 hours: ${rangeText?.trim()}`);
  check(new URL(page.url()).searchParams.get("range") === "24h", "the URL keeps the range");

  // Shop selector, by keyboard. Another shop is empty, or, where keys are
  // per shop, not readable with this key: the page must say so.
  await page.focus("#shop");
  await page.fill("#shop", `${shop}-other`);
  await page.keyboard.press("Enter");
  await page.waitForSelector(
    `[data-metric="total_page_views"][data-value="0"], section[aria-labelledby="summary-title"] [role="alert"], [data-refused="403"]`,
    { timeout: 5_000 },
  );
  check(new URL(page.url()).searchParams.get("shop") === `${shop}-other`, "the URL keeps the shop");
  await page.fill("#shop", shop);
  await page.keyboard.press("Enter");
  await waitForCard(page, "total_page_views", "3", 5_000);
  step("shop selector switches shops");

  // A phone: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  await page.screenshot({ path: join(out, "3-phone.png"), fullPage: true });

  check(pageErrors.length === 0, `errors in the page: ${pageErrors.join("; ")}`);

  // An old bookmark with ?key= works once more: the key moves into the
  // tab's storage and out of the address bar, and survives a reload.
  if (readKey) {
    const bookmarked = await context.newPage();
    bookmarked.on("pageerror", (error) => pageErrors.push(error.message));
    const bookmark = `${base}/?shop=${shop}&range=24h&key=${encodeURIComponent(readKey)}`;
    legacyUrls.add(bookmark);
    await bookmarked.goto(bookmark);
    await waitForCard(bookmarked, "total_page_views", "3", 10_000);
    checkAddressBar(bookmarked);
    await bookmarked.reload();
    await waitForCard(bookmarked, "total_page_views", "3", 10_000);
    cspViolations.push(...(await pageViolations(bookmarked)));
    await bookmarked.close();
    step("an old ?key= bookmark is migrated");

    // Without a key, the page asks for one.
    const asking = await context.newPage();
    asking.on("pageerror", (error) => pageErrors.push(error.message));
    await asking.goto(`${base}/?shop=${shop}&range=24h`);
    await asking.waitForSelector("#read-key", { timeout: 10_000 });
    await asking.screenshot({ path: join(out, "4-key-form.png") });
    await asking.fill("#read-key", readKey);
    await asking.keyboard.press("Enter");
    await waitForCard(asking, "total_page_views", "3", 10_000);
    await asking.waitForSelector(`.connection[data-state="${expectedState}"]`, { timeout: 10_000 });
    checkAddressBar(asking);
    cspViolations.push(...(await pageViolations(asking)));
    await asking.close();
    step("the key form takes a key");
  }

  // The page that had a key from the start opened every stream with a
  // ticket (the one that asked for a key first tried without).
  if (readKey && has.stream) {
    const bare = streamUrls.filter((url) => !new URL(url).searchParams.has("ticket"));
    check(streamUrls.length > 0 && bare.length === 0, `live streams without a ticket: ${bare.join(" ")}`);
  }
  const leaked = urlsWithKey();
  check(leaked.length === 0, `request URLs carry the read key:\n${leaked.join("\n")}`);
  step(`${requestUrls.length} request URLs, none with the read key`);

  cspViolations.push(...(await pageViolations(page)));
  check(cspViolations.length === 0, `Content-Security-Policy violations:\n${cspViolations.join("\n")}`);
  // The listener hears violations: an inline script is one, and is blocked.
  await page.evaluate(() => {
    const script = document.createElement("script");
    script.textContent = "window.__inlineScriptRan = true;";
    document.head.appendChild(script);
  });
  await page.waitForFunction(() => window.__cspViolations.length > 0, null, { timeout: 5_000 });
  check(!(await page.evaluate(() => window.__inlineScriptRan === true)), "an inline script ran despite the policy");
  step("no Content-Security-Policy violations; an inline script is blocked and reported");
  step(`PASS (screenshots and CSVs in ${out})`);
}

try {
  await main();
  clearTimeout(overall);
  await browser?.close();
  process.exit(0);
} catch (error) {
  console.error(`FAIL: ${error.stack ?? error}`);
  try {
    const pages = browser?.contexts().flatMap((c) => c.pages()) ?? [];
    if (pages[0]) await pages[0].screenshot({ path: join(out, "failure.png"), fullPage: true });
  } catch {
    // best effort
  }
  clearTimeout(overall);
  await browser?.close().catch(() => {});
  process.exit(1);
}
