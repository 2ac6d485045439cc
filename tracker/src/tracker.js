// Wires the parts to a browser window: page views on load and on every
// history navigation, track() for everything else, batches out through the
// transport. Nothing here reads cookies, localStorage or anything that
// tells one visitor's device from another's beyond the screen width.
import { createBatcher } from "./batcher.js";
import { eventFields } from "./events.js";
import { guarded } from "./guarded.js";
import { pageOf, referrerHost } from "./page.js";
import { visitorOptedOut } from "./privacy.js";
import { createSessions, randomSessionId } from "./session.js";
import { installApi, replay } from "./stub.js";
import { createTransport } from "./transport.js";

// options: configFromScript's, and now() for tests.
export const start = guarded((window, { endpoint, pageSessionId, respectDoNotTrack, now = () => Date.now() }) => {
  let tracking = null;
  const track = guarded((name, properties) => {
    if (tracking) tracking.track(name, properties);
  });
  const queued = installApi(window, track);
  if (!queued || (respectDoNotTrack && visitorOptedOut(window))) return;
  tracking = createTracking(window, endpoint, pageSessionId, now);
  tracking.pageView();
  for (const call of queued) replay(track, call);
});

function createTracking(window, endpoint, pageSessionId, now) {
  const document = window.document;
  const currentUrl = () => new URL(window.location.href);
  const session = createSessions(() => window.sessionStorage, now, () => randomSessionId(window.crypto),
    pageSessionId);
  const send = createTransport(window.navigator, (url, init) => window.fetch(url, init));
  const batcher = createBatcher(
    (events) => send(endpoint, JSON.stringify({ events })),
    (fn, ms) => window.setTimeout(guarded(fn), ms),
    (timer) => window.clearTimeout(timer),
  );
  // Only the landing page view has a referrer: later page views of a
  // single-page shop still see the landing page's document.referrer.
  let referrer = referrerHost(document.referrer, currentUrl().hostname);
  let lastPage = null;

  function record(fields) {
    const url = currentUrl();
    const { id, campaign } = session(url);
    batcher.add(
      Object.assign(fields, { session_id: id, page: pageOf(url), screen_width: screenWidthOf(window) }, campaign),
      document.visibilityState === "hidden");
  }

  const pageView = guarded(() => {
    const page = pageOf(currentUrl());
    if (page === lastPage) return; // replaceState for a filter, or the same route again
    lastPage = page;
    record({ event_type: "page_view", referrer });
    referrer = undefined;
  });

  guarded(() => {
    const history = window.history;
    for (const method of ["pushState", "replaceState"]) {
      const original = history[method];
      if (typeof original !== "function") continue;
      // The page's own call runs unguarded: its errors are its own and
      // must reach it as they would without us.
      history[method] = function (...args) {
        const result = original.apply(this, args);
        pageView();
        return result;
      };
    }
  })();
  guarded(() => {
    const flush = guarded(batcher.flush);
    window.addEventListener("popstate", pageView);
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") flush();
    });
  })();

  return {
    pageView,
    track(name, properties) {
      const fields = eventFields(name, properties);
      if (fields) record(fields);
    },
  };
}

// The server derives a device class (phone, tablet, desktop) from it.
function screenWidthOf(window) {
  return (window.screen || {}).width | 0 || undefined;
}
