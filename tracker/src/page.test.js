import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_PAGE_LENGTH, campaignOf, pageOf, referrerHost } from "./page.js";

test("page keeps the path and only the utm_ parameters, as the page wrote them", () => {
  const url = new URL(
    "https://shop.example/products/42?color=red&utm_source=news&email=a%40b.c&utm_campaign=spring%20sale&token=x#reviews",
  );
  assert.equal(pageOf(url), "/products/42?utm_source=news&utm_campaign=spring%20sale");
});

test("page without campaign parameters has no query at all", () => {
  assert.equal(pageOf(new URL("https://shop.example/cart?session=abc&utmost=1")), "/cart");
  assert.equal(pageOf(new URL("https://shop.example/")), "/");
});

test("a very long path is cut, so a batch stays small", () => {
  const page = pageOf(new URL(`https://shop.example/${"a".repeat(5000)}`));
  assert.equal(page.length, MAX_PAGE_LENGTH);
});

test("campaign holds source, medium and campaign, decoded, and nothing empty", () => {
  const url = new URL("https://shop.example/?utm_source=news&utm_medium=&utm_campaign=spring%20sale&utm_term=shoes");
  assert.deepEqual(campaignOf(url), { utm_source: "news", utm_campaign: "spring sale" });
  assert.deepEqual(campaignOf(new URL("https://shop.example/")), {});
});

test("referrer is the other site's host name, without path, query or port", () => {
  assert.equal(referrerHost("https://www.search.example:8443/results?q=my+secret", "shop.example"), "www.search.example");
});

test("no referrer from the shop itself, from nowhere, or from something unreadable", () => {
  assert.equal(referrerHost("https://shop.example/products/1", "shop.example"), undefined);
  assert.equal(referrerHost("http://shop.example:8080/", "shop.example"), undefined);
  assert.equal(referrerHost("", "shop.example"), undefined);
  assert.equal(referrerHost("not a url", "shop.example"), undefined);
});
