import assert from "node:assert/strict";
import { test } from "node:test";
import { visitorOptedOut } from "./privacy.js";

test("Global Privacy Control and every spelling of Do-Not-Track opt out", () => {
  assert.equal(visitorOptedOut({ navigator: { globalPrivacyControl: true } }), true);
  assert.equal(visitorOptedOut({ navigator: { doNotTrack: "1" } }), true);
  assert.equal(visitorOptedOut({ navigator: { doNotTrack: "yes" } }), true);
  assert.equal(visitorOptedOut({ navigator: {}, doNotTrack: "1" }), true);
  assert.equal(visitorOptedOut({ navigator: { msDoNotTrack: "1" } }), true);
});

test("no signal, or a signal saying yes to tracking, does not opt out", () => {
  assert.equal(visitorOptedOut({ navigator: {} }), false);
  assert.equal(visitorOptedOut({ navigator: { doNotTrack: "0", globalPrivacyControl: false } }), false);
  assert.equal(visitorOptedOut({ navigator: { doNotTrack: "unspecified" } }), false);
  assert.equal(visitorOptedOut({}), false);
});
