import assert from "node:assert/strict";
import { test } from "node:test";
import { BATCH_DELAY_MS } from "./batcher.js";
import { SESSION_IDLE_MS } from "./session.js";
import { fakeWindow } from "./testing/fake-window.js";
import { start } from "./tracker.js";

const endpoint = "https://collect.example/v1/collect?key=ck_test";
const landing = "https://shop.example/products/42?utm_source=news&utm_medium=email&utm_campaign=spring&email=a%40b.c";

function startedShop({ options = {}, ...browser } = {}) {
  const fake = fakeWindow({ href: landing, referrer: "https://www.search.example/?q=shoes", ...browser });
  start(fake.window, { endpoint, now: fake.now, ...options });
  return fake;
}

test("the landing page view: page, referrer host, campaign, session, screen; no timestamp", () => {
  const shop = startedShop();
  shop.advance(BATCH_DELAY_MS);
  assert.equal(shop.beacons.length, 1);
  assert.equal(shop.beacons[0].url, endpoint);
  const [view] = shop.sentEvents();
  assert.match(view.session_id, /^[0-9a-f]{32}$/);
  assert.deepEqual(view, {
    event_type: "page_view",
    referrer: "www.search.example",
    session_id: view.session_id,
    page: "/products/42?utm_source=news&utm_medium=email&utm_campaign=spring",
    screen_width: 1280,
    utm_source: "news",
    utm_medium: "email",
    utm_campaign: "spring",
  });
});

test("the body is one JSON object holding the batch", () => {
  const shop = startedShop();
  shop.window.shopstream.track("add_to_cart", { product_id: "prod-42" });
  shop.advance(BATCH_DELAY_MS);
  const body = JSON.parse(shop.beacons[0].body);
  assert.deepEqual(Object.keys(body), ["events"]);
  assert.deepEqual(body.events.map((e) => e.event_type), ["page_view", "add_to_cart"]);
});

test("nothing leaves before the batch timer, unless the page is hidden", () => {
  const shop = startedShop();
  shop.advance(BATCH_DELAY_MS - 1);
  assert.equal(shop.beacons.length, 0);
  shop.hide();
  assert.equal(shop.sentEvents().length, 1);
  shop.window.shopstream.track("purchase", { product_id: "prod-42", order_amount: 5 });
  assert.equal(shop.sentEvents().length, 2, "an event while hidden leaves at once");
});

test("pagehide sends what is queued", () => {
  const shop = startedShop();
  shop.window.shopstream.track("add_to_cart", { product_id: "prod-42" });
  shop.pagehide();
  assert.deepEqual(shop.sentEvents().map((e) => e.event_type), ["page_view", "add_to_cart"]);
  shop.advance(BATCH_DELAY_MS);
  assert.equal(shop.beacons.length, 1, "the timer finds nothing left");
});

test("becoming visible again sends nothing by itself", () => {
  const shop = startedShop();
  shop.hide();
  shop.show();
  shop.advance(BATCH_DELAY_MS);
  assert.equal(shop.sentEvents().length, 1);
});

test("history navigation counts a page view per new route, in the same session", () => {
  const shop = startedShop();
  shop.window.history.pushState({}, "", "/cart");
  shop.window.history.pushState({}, "", "/cart"); // the same route again
  shop.window.history.replaceState({}, "", "/cart?sort=price"); // only the query changed
  shop.window.history.pushState({}, "", "/checkout?step=2#top");
  shop.back("/cart");
  shop.advance(BATCH_DELAY_MS);
  const views = shop.sentEvents();
  assert.deepEqual(views.map((e) => e.page), [
    "/products/42?utm_source=news&utm_medium=email&utm_campaign=spring",
    "/cart",
    "/checkout",
    "/cart",
  ]);
  assert.equal(new Set(views.map((e) => e.session_id)).size, 1);
  for (const view of views.slice(1)) {
    assert.equal(view.referrer, undefined, "only the landing page view has a referrer");
    assert.equal(view.utm_campaign, "spring", "the campaign stays with the session");
  }
});

test("the page's history calls behave as before: same result, same errors", () => {
  const fake = fakeWindow({ href: landing });
  const original = fake.window.history.pushState;
  fake.window.history.pushState = function (...args) {
    if (args[2] === "https://elsewhere.example/") throw new DOMException("cross-origin", "SecurityError");
    original(...args);
    return "result";
  };
  start(fake.window, { endpoint, now: fake.now });
  assert.equal(fake.window.history.pushState({}, "", "/a"), "result");
  assert.throws(() => fake.window.history.pushState({}, "", "https://elsewhere.example/"), { name: "SecurityError" });
});

test("track: shop events and custom events, with the session and the page", () => {
  const shop = startedShop();
  const { track } = shop.window.shopstream;
  track("add_to_cart", { product_id: "prod-42" });
  track("purchase", { product_id: "prod-42", order_amount: 9.95 * 3 });
  track("newsletter_signup", { plan: "pro" });
  track("", {}); // not an event
  shop.advance(BATCH_DELAY_MS);
  const [view, cart, purchase, signup, ...rest] = shop.sentEvents();
  assert.deepEqual(rest, []);
  assert.equal(cart.product_id, "prod-42");
  assert.equal(purchase.order_amount, 29.85);
  assert.equal(signup.name, "newsletter_signup");
  assert.equal(signup.event_type, undefined);
  assert.deepEqual(signup.properties, { plan: "pro" });
  for (const event of [cart, purchase, signup]) {
    assert.equal(event.session_id, view.session_id);
    assert.equal(event.page, view.page);
    assert.equal(event.referrer, undefined);
    assert.equal("timestamp" in event, false);
  }
});

test("a page view after 30 idle minutes starts a new session", () => {
  const shop = startedShop();
  shop.advance(SESSION_IDLE_MS + 1);
  shop.window.history.pushState({}, "", "/later");
  shop.advance(BATCH_DELAY_MS);
  const [first, second] = shop.sentEvents();
  assert.notEqual(second.session_id, first.session_id);
  assert.equal(second.utm_source, undefined, "the new session landed without a campaign");
});

test("the page's own session id is used", () => {
  const shop = startedShop({ options: { pageSessionId: "shop-s-1" } });
  shop.advance(BATCH_DELAY_MS);
  assert.equal(shop.sentEvents()[0].session_id, "shop-s-1");
});

test("calls queued by the stub go out after the landing page view, in order", () => {
  const fake = fakeWindow({ href: landing });
  fake.window.shopstream = {
    q: [["add_to_cart", { product_id: "p1" }], ["newsletter_signup", { plan: "pro" }]],
  };
  start(fake.window, { endpoint, now: fake.now });
  fake.advance(BATCH_DELAY_MS);
  assert.deepEqual(fake.sentEvents().map((e) => e.event_type ?? e.name), [
    "page_view",
    "add_to_cart",
    "newsletter_signup",
  ]);
});

test("the tag twice on a page counts each page view once", () => {
  const fake = fakeWindow({ href: landing });
  start(fake.window, { endpoint, now: fake.now });
  start(fake.window, { endpoint, now: fake.now });
  fake.window.history.pushState({}, "", "/cart");
  fake.advance(BATCH_DELAY_MS);
  assert.equal(fake.sentEvents().length, 2);
});

const optOuts = {
  "Do-Not-Track": { doNotTrack: "1" },
  "Global Privacy Control": { globalPrivacyControl: true },
};

for (const [signal, navigator] of Object.entries(optOuts)) {
  test(`${signal}, when the shop respects it: nothing sent, nothing stored, track still callable`, () => {
    const fake = fakeWindow({ href: landing, navigator });
    fake.window.shopstream = { q: [["add_to_cart", { product_id: "p1" }]] };
    start(fake.window, { endpoint, now: fake.now, respectDoNotTrack: true });
    fake.window.shopstream.track("purchase", { product_id: "p1", order_amount: 1 });
    fake.window.history.pushState({}, "", "/cart");
    fake.hide();
    fake.pagehide();
    fake.advance(BATCH_DELAY_MS);
    assert.deepEqual(fake.beacons, []);
    assert.deepEqual(fake.fetches, []);
    assert.equal(fake.window.sessionStorage.items.size, 0);
    assert.equal(fake.window.shopstream.loaded, true);
  });

  test(`${signal}, when the shop does not ask to respect it: events are sent`, () => {
    const fake = fakeWindow({ href: landing, navigator });
    start(fake.window, { endpoint, now: fake.now, respectDoNotTrack: false });
    fake.advance(BATCH_DELAY_MS);
    assert.equal(fake.sentEvents().length, 1);
  });
}

test("without sendBeacon the batch goes by fetch, text/plain and no-cors", () => {
  const fake = fakeWindow({ href: landing, navigator: { sendBeacon: undefined } });
  start(fake.window, { endpoint, now: fake.now });
  fake.advance(BATCH_DELAY_MS);
  assert.equal(fake.fetches.length, 1);
  const { url, init } = fake.fetches[0];
  assert.equal(url, endpoint);
  assert.equal(typeof init.body, "string", "a string body is sent as text/plain");
  assert.equal(init.mode, "no-cors");
  assert.equal(JSON.parse(init.body).events[0].event_type, "page_view");
});

// Browsers and pages as they are found in the wild: every one must leave
// the page's own calls, and the browser's callbacks, without an error.
const hostile = {
  "no sendBeacon, no fetch": (w) => {
    delete w.navigator.sendBeacon;
    delete w.fetch;
  },
  "sendBeacon and fetch throw": (w) => {
    w.navigator.sendBeacon = () => {
      throw new TypeError("Illegal invocation");
    };
    w.fetch = () => {
      throw new TypeError("Failed to fetch");
    };
  },
  "fetch rejects": (w) => {
    w.navigator.sendBeacon = () => false;
    w.fetch = () => Promise.reject(new TypeError("Failed to fetch"));
  },
  "sessionStorage blocked": (w) => {
    Object.defineProperty(w, "sessionStorage", {
      get() {
        throw new DOMException("The operation is insecure.", "SecurityError");
      },
    });
  },
  "sessionStorage full": (w) => {
    w.sessionStorage.setItem = () => {
      throw new DOMException("quota", "QuotaExceededError");
    };
  },
  "no sessionStorage": (w) => {
    delete w.sessionStorage;
  },
  "no crypto": (w) => {
    delete w.crypto;
  },
  "no screen": (w) => {
    delete w.screen;
  },
  "no history": (w) => {
    delete w.history;
  },
  "frozen history": (w) => {
    Object.freeze(w.history);
  },
  "no addEventListener": (w) => {
    delete w.addEventListener;
    delete w.document.addEventListener;
  },
  "no navigator": (w) => {
    delete w.navigator;
  },
  "a location that cannot be read": (w) => {
    Object.defineProperty(w, "location", {
      get() {
        throw new Error("blocked");
      },
    });
  },
};

for (const [name, breakIt] of Object.entries(hostile)) {
  test(`nothing throws into the page: ${name}`, async () => {
    const unhandled = [];
    const onUnhandled = (reason) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const fake = fakeWindow({ href: landing });
      breakIt(fake.window);
      assert.doesNotThrow(() => start(fake.window, { endpoint, now: fake.now, respectDoNotTrack: true }));
      const { track } = fake.window.shopstream;
      assert.doesNotThrow(() => {
        track("add_to_cart", { product_id: "p1" });
        track("purchase", { product_id: "p1", order_amount: 5 });
        track("newsletter_signup", { plan: "pro" });
        track();
        track(null, null);
        fake.window.history?.pushState?.({}, "", "/next");
        fake.advance(BATCH_DELAY_MS);
        fake.hide();
        fake.pagehide();
        fake.back("/");
      });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });
}

test("with storage blocked, the page's events still share one session", () => {
  const fake = fakeWindow({ href: landing });
  Object.defineProperty(fake.window, "sessionStorage", {
    get() {
      throw new DOMException("The operation is insecure.", "SecurityError");
    },
  });
  start(fake.window, { endpoint, now: fake.now });
  fake.window.shopstream.track("add_to_cart", { product_id: "p1" });
  fake.advance(BATCH_DELAY_MS);
  const [view, cart] = fake.sentEvents();
  assert.match(view.session_id, /^[0-9a-f]{32}$/);
  assert.equal(cart.session_id, view.session_id);
});

test("the tracker keeps nothing but its session in the tab's storage", () => {
  const shop = startedShop();
  shop.window.shopstream.track("purchase", { product_id: "p1", order_amount: 5 });
  shop.advance(BATCH_DELAY_MS);
  assert.deepEqual([...shop.window.sessionStorage.items.keys()], ["shopstream_session"]);
});
