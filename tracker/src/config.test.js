import assert from "node:assert/strict";
import { test } from "node:test";
import { configFromScript } from "./config.js";

const page = "https://shop.example/products/42";

function tag(attributes, src = "https://gateway.example:8443/t.js") {
  return { src, getAttribute: (name) => attributes[name] ?? null };
}

test("by default events go to the origin the script came from", () => {
  assert.deepEqual(configFromScript(tag({ "data-key": "ck_123" }), page), {
    endpoint: "https://gateway.example:8443/v1/collect?key=ck_123",
    pageSessionId: undefined,
    respectDoNotTrack: false,
  });
});

test("data-api sends them elsewhere, with or without a path or a trailing slash", () => {
  const endpoint = (api) => configFromScript(tag({ "data-key": "k", "data-api": api }), page).endpoint;
  assert.equal(endpoint("https://collect.example"), "https://collect.example/v1/collect?key=k");
  assert.equal(endpoint("https://collect.example/"), "https://collect.example/v1/collect?key=k");
  assert.equal(endpoint("https://shop.example/stats/"), "https://shop.example/stats/v1/collect?key=k");
  assert.equal(endpoint("/stats"), "https://shop.example/stats/v1/collect?key=k");
});

test("the key is encoded for the query string", () => {
  assert.equal(
    configFromScript(tag({ "data-key": "a&b=c" }), page).endpoint,
    "https://gateway.example:8443/v1/collect?key=a%26b%3Dc",
  );
});

test("data-session hands over the page's own session id", () => {
  assert.equal(configFromScript(tag({ "data-key": "k", "data-session": "s-1" }), page).pageSessionId, "s-1");
  assert.equal(configFromScript(tag({ "data-key": "k", "data-session": "" }), page).pageSessionId, undefined);
});

test("data-respect-dnt is on when present, unless it says false", () => {
  const respect = (value) => configFromScript(tag({ "data-key": "k", "data-respect-dnt": value }), page)
    .respectDoNotTrack;
  assert.equal(respect("true"), true);
  assert.equal(respect(""), true);
  assert.equal(respect("false"), false);
  assert.equal(respect(undefined), false);
});

test("no key, or no tag, means no tracking", () => {
  assert.equal(configFromScript(tag({}), page), null);
  assert.equal(configFromScript(tag({ "data-key": "" }), page), null);
  assert.equal(configFromScript(null, page), null);
});
