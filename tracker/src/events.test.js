import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_PROPERTIES, MAX_PROPERTY_LENGTH, eventFields } from "./events.js";

test("the three shop events carry their product and amount", () => {
  assert.deepEqual(eventFields("add_to_cart", { product_id: "prod-42", colour: "red" }), {
    event_type: "add_to_cart",
    product_id: "prod-42",
    order_amount: undefined,
  });
  assert.deepEqual(eventFields("purchase", { product_id: 42, order_amount: 99.99 }), {
    event_type: "purchase",
    product_id: "42",
    order_amount: 99.99,
  });
  assert.equal(eventFields("page_view").event_type, "page_view");
});

test("amounts are rounded to cents and read from strings", () => {
  assert.equal(eventFields("purchase", { order_amount: 9.95 * 3 }).order_amount, 29.85);
  assert.equal(eventFields("purchase", { order_amount: "12.5" }).order_amount, 12.5);
  assert.equal(eventFields("purchase", { order_amount: 0 }).order_amount, 0);
});

test("amounts that are no amount are left out", () => {
  for (const amount of [-1, NaN, Infinity, null, "", "free", {}, true]) {
    assert.equal(eventFields("purchase", { order_amount: amount }).order_amount, undefined, String(amount));
  }
});

test("a custom event is its name and string properties", () => {
  assert.deepEqual(eventFields("newsletter_signup", { plan: "pro", seats: 3, yearly: true }), {
    name: "newsletter_signup",
    properties: { plan: "pro", seats: "3", yearly: "true" },
  });
  assert.deepEqual(eventFields("search"), { name: "search", properties: {} });
});

test("custom properties that are not plain values are left out", () => {
  const properties = eventFields("x", { list: [1], object: {}, nothing: null, fn() {}, gone: undefined })
    .properties;
  assert.deepEqual(properties, {});
});

test("custom properties are bounded in number, key and value length", () => {
  const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p${i}`, "v"]));
  assert.equal(Object.keys(eventFields("x", many).properties).length, MAX_PROPERTIES);
  const { properties } = eventFields("x", { long: "v".repeat(1000), ["k".repeat(65)]: "v" });
  assert.deepEqual(Object.keys(properties), ["long"]);
  assert.equal(properties.long.length, MAX_PROPERTY_LENGTH);
});

test("calls that name no event are not sent", () => {
  for (const name of ["", undefined, null, 42, {}, "n".repeat(65)]) {
    assert.equal(eventFields(name, {}), null, String(name));
  }
});
