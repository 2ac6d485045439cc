// The tracker in Debian's Chromium. The test starts, on free loopback
// ports: a sample single-page shop that loads dist/t.js, a capture server
// standing in for the gateway's collect endpoint (another origin), and a
// "search engine" page that links to the shop, so that the landing page has
// a referrer. It checks every request that reaches the capture server.
//   node e2e/tracker.e2e.mjs [--out DIR] [--chromium PATH] [--timeout-ms N]
// Exits 0 when every check passed; the captured requests (and a screenshot
// on failure) are left in --out.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { check, listen, runScenario, stop } from "./harness.mjs";

const { values: args } = parseArgs({
  options: {
    out: { type: "string", default: "tracker-e2e" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    "timeout-ms": { type: "string", default: "60000" },
  },
});
const trackerDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = join(trackerDir, "dist", "t.js");
const KEY = "ck_e2e";
// The search page gets a host name of its own (mapped to 127.0.0.1 in the
// browser): the referrer is a host name, and every loopback server shares
// 127.0.0.1.
const SEARCH_HOST = "search.example";
const ARRIVAL_DEADLINE_MS = 10_000;

function step(text) {
  console.log(`[tracker e2e] ${text}`);
}


function shopPage(collectOrigin) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sample shop</title>
<script>
  window.shopstream = window.shopstream || {q: [], track: function () { window.shopstream.q.push(arguments); }};
  shopstream.track("newsletter_signup", {plan: "pro"});
</script>
<script defer src="/t.js" data-key="${KEY}" data-api="${collectOrigin}"></script>
</head><body>
<h1>Product 42</h1>
<a id="cart" href="/cart">Cart</a>
<button id="add">Add to cart</button>
<button id="buy">Buy now</button>
<script>
  // A single-page shop: routes change through the history API.
  document.getElementById("cart").addEventListener("click", (event) => {
    event.preventDefault();
    history.pushState({}, "", "/cart");
    document.querySelector("h1").textContent = "Cart";
  });
  document.getElementById("add").addEventListener("click",
    () => shopstream.track("add_to_cart", {product_id: "prod-42"}));
  document.getElementById("buy").addEventListener("click",
    () => shopstream.track("purchase", {product_id: "prod-42", order_amount: 99.99}));
</script>
</body></html>`;
}

const requests = [];
let shop, collector, search, browser;

async function startServers() {
  collector = await listen((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(204).end();
    });
  });
  const collectOrigin = `http://127.0.0.1:${collector.address().port}`;
  shop = await listen((req, res) => {
    const path = new URL(req.url, "http://shop").pathname;
    if (path === "/t.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(script));
    } else if (path === "/favicon.ico") {
      res.writeHead(204).end();
    } else {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(shopPage(collectOrigin));
    }
  });
  const shopOrigin = `http://127.0.0.1:${shop.address().port}`;
  const landing = `${shopOrigin}/products/42?utm_source=news&utm_medium=email&utm_campaign=spring&email=a%40b.c`;
  search = await listen((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" })
      .end(`<!doctype html><title>Search</title><a id="result" href="${landing}">Product 42</a>`);
  });
  return { searchUrl: `http://${SEARCH_HOST}:${search.address().port}/?q=shoes` };
}

const events = () =>
  requests.filter((r) => r.method === "POST").flatMap((r) => {
    try {
      return JSON.parse(r.body).events;
    } catch {
      return [];
    }
  });

async function arrived(what, predicate) {
  const deadline = Date.now() + ARRIVAL_DEADLINE_MS;
  while (!predicate(events())) {
    check(Date.now() < deadline, `${what} did not reach the collector within ${ARRIVAL_DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  step(`${what} arrived`);
}
const has = (type) => (list) => list.some((e) => (e.event_type ?? e.name) === type);

async function main() {
  check(existsSync(script), `${script} missing: build it first (cmake --build build --target tracker)`);
  check(existsSync(args.chromium), `${args.chromium} missing: Debian's chromium package (scripts/install-deps.sh)`);
  const { searchUrl } = await startServers();

  browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      `--host-resolver-rules=MAP ${SEARCH_HOST} 127.0.0.1`,
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const pageProblems = [];
  page.on("pageerror", (error) => pageProblems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") pageProblems.push(`console error: ${message.text()}`);
  });

  await page.goto(searchUrl);
  await Promise.all([page.waitForURL(/\/products\/42/), page.click("#result")]);
  await page.waitForFunction(() => window.shopstream && window.shopstream.loaded === true);
  step("landed on the shop from the search page");
  await arrived("the landing page view and the queued signup", (list) =>
    has("page_view")(list) && has("newsletter_signup")(list));

  await page.click("#cart");
  await page.click("#cart"); // the same route again: no second page view
  await page.evaluate(() => history.replaceState({}, "", "/cart?sort=price"));
  await page.click("#add");
  await arrived("the cart page view and add_to_cart", has("add_to_cart"));

  const inThePage = await page.evaluate(() => ({
    cookies: document.cookie,
    localStorage: localStorage.length,
    sessionStorage: Object.keys(sessionStorage),
    screenWidth: screen.width,
  }));
  // Buy, then leave at once: what is still queued goes out as the page hides.
  await page.click("#buy");
  await page.goto(`http://${SEARCH_HOST}:${search.address().port}/bye`);
  await arrived("the purchase, sent as the page was left", has("purchase"));

  // Every request: one POST of text/plain to the collect endpoint with the
  // key; no preflight, no cookies.
  for (const request of requests) {
    const url = new URL(request.url, "http://collector");
    check(request.method === "POST", `${request.method} ${request.url}: only POSTs expected (a preflight?)`);
    check(url.pathname === "/v1/collect", `request to ${url.pathname}`);
    check(url.searchParams.get("key") === KEY, `key ${url.searchParams.get("key")}`);
    check((request.headers["content-type"] ?? "").startsWith("text/plain"),
      `content type ${request.headers["content-type"]}`);
    check(!request.headers.cookie, `cookies sent: ${request.headers.cookie}`);
    check(Array.isArray(JSON.parse(request.body).events), `body ${request.body}`);
  }
  step(`${requests.length} requests, all text/plain POSTs to /v1/collect?key=${KEY}`);

  const all = events();
  check(
    JSON.stringify(all.map((e) => e.event_type ?? e.name)) ===
      JSON.stringify(["page_view", "newsletter_signup", "page_view", "add_to_cart", "purchase"]),
    `events in order: ${all.map((e) => e.event_type ?? e.name)}`,
  );
  const [landing, signup, cart, addToCart, purchase] = all;
  check(landing.page === "/products/42?utm_source=news&utm_medium=email&utm_campaign=spring",
    `landing page ${landing.page}`);
  check(landing.referrer === SEARCH_HOST, `landing referrer ${landing.referrer}`);
  check(landing.utm_source === "news" && landing.utm_medium === "email" && landing.utm_campaign === "spring",
    `landing campaign ${JSON.stringify(landing)}`);
  check(signup.properties?.plan === "pro" && signup.event_type === undefined, `signup ${JSON.stringify(signup)}`);
  check(cart.page === "/cart" && cart.referrer === undefined, `cart page view ${JSON.stringify(cart)}`);
  check(cart.utm_campaign === "spring", "the campaign stays with the session");
  check(addToCart.product_id === "prod-42", `add_to_cart ${JSON.stringify(addToCart)}`);
  check(purchase.product_id === "prod-42" && purchase.order_amount === 99.99, `purchase ${JSON.stringify(purchase)}`);
  check(/^[0-9a-f]{32}$/.test(landing.session_id), `session id ${landing.session_id}`);
  check(all.every((e) => e.session_id === landing.session_id), "one session id for the whole visit");
  check(all.every((e) => !("timestamp" in e)), "no event carries a timestamp");
  check(all.every((e) => e.screen_width === inThePage.screenWidth), `screen width ${inThePage.screenWidth}`);
  step("events: page views on load and on pushState, signup, add_to_cart, purchase, one session");

  check(inThePage.cookies === "" && (await context.cookies()).length === 0, "cookies were set");
  check(inThePage.localStorage === 0, "localStorage was written");
  check(JSON.stringify(inThePage.sessionStorage) === '["shopstream_session"]',
    `sessionStorage holds ${inThePage.sessionStorage}`);
  check(pageProblems.length === 0, pageProblems.join("; "));
  step("no cookies, no localStorage, no errors in the page: PASS");
}

await runScenario({
  out: args.out,
  timeoutMs: Number(args["timeout-ms"]),
  main,
  browser: () => browser,
  cleanup: async () => {
    writeFileSync(join(args.out, "requests.json"), JSON.stringify(requests, null, 2));
    await Promise.all([stop(shop), stop(collector), stop(search)]);
  },
});
