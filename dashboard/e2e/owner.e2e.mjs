// The owner analytics views in Debian's Chromium against a running
// shopstream stack (tests/dashboard_browser_test.cc starts one):
//   node e2e/owner.e2e.mjs --base-url http://127.0.0.1:8080 --shop ID \
//     --read-key KEY --write-key KEY [--admin-key KEY --dead-letter ID \
//     --dead-product ID] [--out DIR]
// Screenshots go to --out, or $SHOPSTREAM_DASHBOARD_SCREENSHOTS.
// Checks: the key screen (401, a wrong key, no retry loop), the opening
// range that holds the shop's data, axis labels that never overlap at
// 1280 and 400 px for 24 hours, 7 and 30 days, the phone layout,
// comparison deltas, a filter narrowing every panel and living in the
// address without the key, the report's print layout and PDF, the admin
// view refused to a read key and, with an admin key, a dead letter
// replayed once and a key created and revoked. Every check needs the API
// it exercises: a server without it fails the script. Exits 0 when every
// check passed.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

import { boundRun, check, stepLogger } from "./harness.mjs";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string" },
    out: { type: "string" },
    "timeout-ms": { type: "string", default: "150000" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    shop: { type: "string" },
    "read-key": { type: "string" },
    "write-key": { type: "string" },
    "admin-key": { type: "string" },
    "dead-letter": { type: "string" },
    "dead-product": { type: "string" },
  },
});
const base = args["base-url"];
const out = args.out ?? process.env.SHOPSTREAM_DASHBOARD_SCREENSHOTS;
const readKey = args["read-key"] ?? "";
const writeKey = args["write-key"] ?? "";
const adminKey = args["admin-key"] ?? "";
if (!base || !out || !readKey || !writeKey || !args.shop) {
  console.error("--base-url, --shop, --read-key, --write-key and --out (or SHOPSTREAM_DASHBOARD_SCREENSHOTS): required");
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const shop = args.shop;

let browser = null;
const overall = boundRun(args["timeout-ms"], () => browser);
const step = stepLogger("owner e2e");

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

async function api(method, path, key, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

async function post(shopId, ageMs, event) {
  const timestamp = new Date(Date.now() - ageMs).toISOString();
  const answer = await api("POST", "/v1/events", writeKey, { shop_id: shopId, timestamp, ...event });
  check(answer.status === 202, `POST /v1/events answered ${answer.status}: ${answer.text}`);
}

// Days ago, so that 7 and 30 days have points across the whole axis; the
// last is three days old until seedRecent runs.
async function seedOld() {
  for (const days of [3, 10, 20, 29]) {
    await post(shop, days * DAY, { event_type: "page_view", product_id: "prod-c", session_id: `o${days}`, user_agent: CHROME });
  }
}

// The current day: three sessions, four page views, one purchase, one of
// them (c2) a bounce. The day before: two page views.
async function seedRecent() {
  const firefox = { user_agent: FIREFOX, screen_width: 390, referrer: "https://www.google.com/search?q=shoe", utm_source: "news", utm_campaign: "winter" };
  const chrome = { user_agent: CHROME, screen_width: 1280, referrer: "https://duck.example/" };
  await post(shop, 20 * 60_000, { event_type: "page_view", product_id: "prod-a", session_id: "c1", page: "/products/shoe", ...firefox });
  await post(shop, 19 * 60_000, { event_type: "add_to_cart", product_id: "prod-a", session_id: "c1", page: "/products/shoe", ...firefox });
  await post(shop, 18 * 60_000, { event_type: "purchase", product_id: "prod-a", session_id: "c1", order_amount: 50, page: "/checkout", ...firefox });
  await post(shop, 15 * 60_000, { event_type: "page_view", product_id: "prod-b", session_id: "c2", page: "/products/hat", ...chrome });
  await post(shop, 14 * 60_000, { event_type: "page_view", product_id: "prod-a", session_id: "c3", page: "/products/shoe", ...chrome });
  await post(shop, 12 * 60_000, { event_type: "page_view", product_id: "prod-b", session_id: "c3", page: "/products/hat", ...chrome });
  await post(shop, 30 * HOUR, { event_type: "page_view", product_id: "prod-a", session_id: "p1", page: "/products/shoe", ...chrome });
  await post(shop, 30 * HOUR - 60_000, { event_type: "page_view", product_id: "prod-b", session_id: "p1", page: "/products/hat", ...chrome });
}

// Until the processor has stored `count` page views of the last 30 days,
// the page would open on too little.
async function waitStored(count) {
  const from = new Date(Date.now() - 31 * DAY).toISOString().replace(/\.\d+Z$/, "Z");
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answer = await api("GET", `/v1/shops/${shop}/summary?from=${from}`, readKey);
    check(answer.status === 200, `summary answered ${answer.status}: ${answer.text}`);
    if (answer.json().total_page_views === count) return;
    check(Date.now() < deadline, `stored page views: ${answer.json().total_page_views}, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// Every request URL, to prove none carries a key.
const requestUrls = [];
function keyLeaks() {
  return requestUrls.filter((url) =>
    [readKey, adminKey].some((key) => key && (url.includes(key) || decodeURIComponent(url).includes(key))),
  );
}

async function card(page, metric, value, timeout = 10_000) {
  await page.waitForSelector(`[data-metric="${metric}"][data-value="${value}"]`, { timeout });
}

function checkAddress(page) {
  const url = new URL(page.url());
  check(!url.searchParams.has("key") && !url.hash.includes("key="), `the key is in the address: ${page.url()}`);
  check(!page.url().includes(readKey) && (!adminKey || !page.url().includes(adminKey)), `the key is in the address: ${page.url()}`);
}

// The drawn x labels (recorded by the chart, canvas text has no DOM box)
// must not touch, and no two y labels may read the same.
async function checkAxes(page, what) {
  await page.waitForFunction(() => JSON.parse(document.querySelector("figure.chart")?.dataset.xLabels ?? "[]").length > 0, null, { timeout: 10_000 });
  const { x, y } = await page.evaluate(() => {
    const figure = document.querySelector("figure.chart");
    return { x: JSON.parse(figure.dataset.xLabels), y: JSON.parse(figure.dataset.yLabels) };
  });
  check(x.length >= 2, `${what}: only ${x.length} x labels: ${JSON.stringify(x)}`);
  for (let i = 1; i < x.length; i++) {
    check(x[i].left >= x[i - 1].right, `${what}: x labels overlap: ${JSON.stringify(x[i - 1])} and ${JSON.stringify(x[i])}`);
  }
  const shown = y.filter((label) => label !== "");
  check(new Set(shown).size === shown.length, `${what}: repeated y labels ${JSON.stringify(y)}`);
  return x.length;
}

async function chooseRange(page, preset, pageViews) {
  await page.selectOption("#range", preset);
  await page.waitForFunction((p) => new URL(location.href).searchParams.get("range") === p, preset, { timeout: 5_000 });
  await page.waitForSelector(`figure.chart[data-total-page-views="${pageViews}"]`, { timeout: 10_000 });
}

async function noHorizontalOverflow(page, what) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `${what}: the page is ${overflow}px wider than the window`);
}

async function main() {
  await seedOld();
  await waitStored(4);

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
  context.on("request", (request) => requestUrls.push(request.url()));
  const pageErrors = [];

  // ---- the opening range holds the data ----
  const opening = await context.newPage();
  opening.on("pageerror", (error) => pageErrors.push(error.message));
  await opening.goto(`${base}/?shop=${shop}#key=${encodeURIComponent(readKey)}`);
  await card(opening, "total_page_views", "1");
  const opened = new URL(opening.url()).searchParams.get("range");
  check(opened === "7d", `a shop whose last event is 3 days old opens on ${opened}`);
  await opening.close();
  step("the opening range holds the shop's last event");
  await seedRecent();
  await waitStored(10);
  step("events posted and stored");

  // ---- key screen (a new tab holds no key) ----
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${base}/?shop=${shop}&range=24h`);
  await page.waitForSelector('[data-refused="401"]', { timeout: 10_000 });
  const asked = await page.textContent(".key-screen [role=alert]");
  check(/needs an API key/.test(asked ?? ""), `the key screen says: ${asked}`);
  await page.fill("#read-key", "ssk_wrong_key");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => /refused this key/.test(document.querySelector(".key-screen [role=alert]")?.textContent ?? ""), null, { timeout: 10_000 });
  // Refused: the page waits for another key instead of retrying.
  const before = requestUrls.filter((u) => u.includes("/summary")).length;
  await page.waitForTimeout(3_000);
  const retries = requestUrls.filter((u) => u.includes("/summary")).length - before;
  check(retries === 0, `${retries} summary requests after the key was refused`);
  await page.fill("#read-key", readKey);
  await page.keyboard.press("Enter");
  await card(page, "total_page_views", "4");
  checkAddress(page);
  step("key screen: asks, says a wrong key was refused without retrying, takes the right one");

  // ---- cards, engagement, breakdowns at 1280 px ----
  await card(page, "sessions", "3");
  await card(page, "bounce_rate", "33.33");
  await page.waitForSelector('[data-dimension="BROWSER"] tr[data-value="Firefox"]', { timeout: 10_000 });
  await page.waitForSelector('[data-dimension="DEVICE_CLASS"] tr[data-value="mobile"]', { timeout: 10_000 });
  await page.waitForSelector('[data-dimension="REFERRER_HOST"] tr[data-value="www.google.com"]', { timeout: 10_000 });
  await page.waitForSelector('[data-dimension="UTM_CAMPAIGN"] tr[data-value="winter"]', { timeout: 10_000 });
  const conversionTitle = await page.getAttribute('[data-metric="conversion_rate"] .card-label', "title");
  check(/purchases ÷ page views/i.test(conversionTitle ?? ""), `conversion rate is explained as: ${conversionTitle}`);
  const funnelTitle = await page.getAttribute(".funnel-overall", "title");
  check(/viewed.*bought.*÷.*viewed/i.test(funnelTitle ?? ""), `the funnel's overall figure is explained as: ${funnelTitle}`);
  const funnelText = await page.textContent('[data-step="purchase"] .funnel-numbers');
  check(/\b1 session\b/.test(funnelText ?? "") && /\b1 event\b/.test(funnelText ?? ""), `funnel plural: ${funnelText}`);
  step("cards, engagement and breakdowns shown; percentages explained; plurals right");

  // ---- axes at 1280 and 400 px ----
  const labelCounts = {};
  for (const [width, name] of [
    [1280, "dashboard-1280.png"],
    [400, "dashboard-400.png"],
  ]) {
    await page.setViewportSize({ width, height: 900 });
    for (const [preset, views] of [
      ["24h", 4],
      ["7d", 7],
      ["30d", 10],
    ]) {
      await chooseRange(page, preset, views);
      await page.waitForTimeout(200); // the chart redraws at its new width
      labelCounts[`${preset}@${width}`] = await checkAxes(page, `${preset} at ${width} px`);
    }
    await chooseRange(page, "24h", 4);
    await noHorizontalOverflow(page, `${width} px`);
    if (width === 400) {
      const table = await page.evaluate(() => {
        const box = document.querySelector("table.products")?.closest(".table-scroll")?.getBoundingClientRect();
        return box ? { left: box.left, right: box.right } : null;
      });
      check(table && table.left >= 0 && table.right <= 401, `the products table is clipped at 400 px: ${JSON.stringify(table)}`);
    }
    await page.screenshot({ path: join(out, name), fullPage: true });
  }
  step(`axis labels apart at every range and width: ${JSON.stringify(labelCounts)}`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // ---- comparison ----
  await page.check("#compare");
  await page.waitForSelector('[data-metric="total_page_views"] .change[data-direction="up"][data-tone="good"]', { timeout: 10_000 });
  const delta = (await page.textContent('[data-metric="total_page_views"] .change'))?.replace(/\s+/g, " ").trim();
  check(delta?.startsWith("▲ +100%"), `page views against the day before: ${delta}`);
  await page.waitForSelector('figure.chart[data-previous-page-views="2"]', { timeout: 10_000 });
  check(new URL(page.url()).searchParams.get("compare") === "previous", `compare is not in the address: ${page.url()}`);
  // The top of the page as docs/dashboard.md shows it (docs/images/dashboard.png).
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(out, "docs-dashboard.png") });
  step(`comparison: page views ${delta}, the previous day's series drawn`);

  // ---- a filter narrows every panel ----
  await page.click('[data-dimension="BROWSER"] tr[data-value="Firefox"] button');
  await page.waitForSelector('.chip[data-filter="browser"][data-value="Firefox"]', { timeout: 5_000 });
  await card(page, "total_page_views", "1");
  await card(page, "total_purchases", "1");
  await card(page, "unique_sessions", "1");
  await card(page, "sessions", "1");
  await page.waitForSelector('figure.chart[data-total-page-views="1"]', { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelectorAll("table.products tbody tr").length === 1, null, { timeout: 10_000 });
  check((await page.getAttribute("table.products tbody tr", "data-product")) === "prod-a", "products under the filter");
  await page.waitForSelector('[data-step="page_view"][data-sessions="1"]', { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-dimension="BROWSER"] tbody tr').length === 1, null, { timeout: 10_000 });
  const address = new URL(page.url());
  check(address.searchParams.get("filter.browser") === "Firefox", `the filter is not in the address: ${page.url()}`);
  checkAddress(page);
  // The address alone opens the same view (the key is in the tab's storage).
  await page.reload();
  await page.waitForSelector('.chip[data-filter="browser"][data-value="Firefox"]', { timeout: 10_000 });
  await card(page, "total_page_views", "1");
  check(await page.isChecked("#compare"), "the comparison did not survive a reload");
  await page.screenshot({ path: join(out, "filtered.png"), fullPage: true });
  await page.click('.chip[data-filter="browser"] .chip-remove');
  await card(page, "total_page_views", "4");
  check(!new URL(page.url()).searchParams.has("filter.browser"), "the removed filter stays in the address");
  // A product click filters too.
  await page.click('table.products tr[data-product="prod-b"] th button');
  await card(page, "total_page_views", "2");
  await card(page, "total_purchases", "0");
  await page.click('.chip[data-filter="product_id"] .chip-remove');
  await card(page, "total_page_views", "4");
  step("a filter narrows every panel, lives in the address, and comes off");

  // ---- report ----
  await page.click('[data-tab="report"]');
  await page.waitForSelector("#report-title", { timeout: 5_000 });
  await page.emulateMedia({ media: "print" });
  const printed = await page.evaluate(() => ({
    controls: [...document.querySelectorAll(".controls, .tabs, .filter-bar, [data-csv], [data-report-pdf], .chip-remove")].filter(
      (e) => e.checkVisibility(),
    ).length,
    clipped: [...document.querySelectorAll(".table-scroll")].filter((e) => getComputedStyle(e).overflowX !== "visible").length,
  }));
  check(printed.controls === 0 && printed.clipped === 0, `print layout: ${JSON.stringify(printed)}`);
  await page.screenshot({ path: join(out, "report-print.png"), fullPage: true });
  await page.emulateMedia({ media: "screen" });
  const [pdf] = await Promise.all([page.waitForEvent("download", { timeout: 20_000 }), page.click("[data-report-pdf]")]);
  const pdfFile = join(out, "report.pdf");
  await pdf.saveAs(pdfFile);
  check(readFileSync(pdfFile).subarray(0, 5).toString() === "%PDF-", "report.pdf is not a PDF");
  step("report: prints without controls or clipped tables; PDF downloaded");

  // ---- admin, refused to a read key ----
  check((await page.$('[data-tab="admin"]')) === null, "a read key sees the admin tab");
  await page.goto(`${base}/?shop=${shop}&tab=admin`);
  await page.waitForSelector('[data-admin="forbidden"]', { timeout: 10_000 });
  step("admin view: a read key is told it needs an admin key");

  if (adminKey) await admin(context, pageErrors);
  else step("no admin key given: admin actions not checked");

  check(pageErrors.length === 0, `errors in the page: ${pageErrors.join("; ")}`);
  const leaked = keyLeaks();
  check(leaked.length === 0, `request URLs carry a key:\n${leaked.join("\n")}`);
  step(`${requestUrls.length} request URLs, none with a key`);
  step(`PASS (screenshots in ${out})`);
}

async function pageViewsOf(productId) {
  const answer = await api("GET", `/v1/shops/${shop}/summary?filter.product_id=${productId}`, readKey);
  check(answer.status === 200, `summary answered ${answer.status}: ${answer.text}`);
  return answer.json().total_page_views;
}

// With an admin key: replay a dead letter once, create and revoke a key.
async function admin(context, pageErrors) {
  const deadLetter = args["dead-letter"];
  const deadProduct = args["dead-product"];
  check(deadLetter && deadProduct, "--admin-key needs --dead-letter and --dead-product");
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${base}/?shop=${shop}#key=${encodeURIComponent(adminKey)}`);
  await page.waitForSelector('[data-tab="admin"]', { timeout: 10_000 });
  await page.click('[data-tab="admin"]');
  checkAddress(page);
  await page.waitForSelector("table.events tbody tr", { timeout: 10_000 });
  await page.fill("#ev-session", "c1");
  await page.click('form[aria-label="Search events"] button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll("table.events tbody tr").length === 3, null, { timeout: 10_000 });
  step("events inspector finds a session's events");

  const before = await pageViewsOf(deadProduct);
  await page.click(`[data-dead-letter="${deadLetter}"] [data-replay]`);
  await page.waitForSelector('[data-replay-outcome="ok"]', { timeout: 10_000 });
  const deadline = Date.now() + 10_000;
  while ((await pageViewsOf(deadProduct)) !== before + 1 && Date.now() < deadline) await page.waitForTimeout(200);
  check((await pageViewsOf(deadProduct)) === before + 1, "the replayed event is not counted");
  const again = await api("POST", `/v1/shops/${shop}/dead-letters/${encodeURIComponent(deadLetter)}:replay`, adminKey, {});
  check(again.status >= 400, `a second replay answered ${again.status}`);
  await page.waitForTimeout(1_000);
  check((await pageViewsOf(deadProduct)) === before + 1, "a second replay counted the event again");
  await page.waitForSelector('.audit tr[data-action="replay_dead_letter"]', { timeout: 10_000 }).catch(async () => {
    await page.click('[aria-labelledby="audit-title"] .panel-head button');
    await page.waitForSelector('.audit tr[data-action="replay_dead_letter"]', { timeout: 10_000 });
  });
  step("dead letter replayed once; the audit names it");

  await page.selectOption("#key-scope", "read");
  await page.fill("#key-description", "e2e reader");
  await page.click('form[aria-label="Create a key"] button[type=submit]');
  const secret = (await (await page.waitForSelector("[data-secret]", { timeout: 10_000 })).textContent())?.trim() ?? "";
  check(secret.startsWith("ssk_"), `created key secret: ${secret}`);
  // Not used before it is revoked: services remember a key's answer for
  // 10 s, so the first use after the revocation must be refused.
  const keyId = secret.split("_")[1];
  await page.click(`tr[data-key="${keyId}"] [data-revoke]`);
  await page.click(`tr[data-key="${keyId}"] [data-confirm-revoke]`);
  await page.waitForSelector(`tr[data-key="${keyId}"]`, { state: "detached", timeout: 10_000 });
  check((await api("GET", `/v1/shops/${shop}/summary`, secret)).status === 401, "the revoked key still reads");
  await page.screenshot({ path: join(out, "admin.png"), fullPage: true });
  await page.close();
  step("key created (secret shown once) and revoked after confirmation");
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
    if (pages.at(-1)) await pages.at(-1).screenshot({ path: join(out, "owner-failure.png"), fullPage: true });
  } catch {
    // best effort
  }
  clearTimeout(overall);
  await browser?.close().catch(() => {});
  process.exit(1);
}
