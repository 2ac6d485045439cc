// Sessions without cookies: one random id per browser tab, kept in
// sessionStorage (gone when the tab closes) and replaced after 30 minutes
// without an event. The campaign of the session's landing page is kept
// with it, so that a purchase three pages later is still attributed.
import { campaignOf } from "./page.js";

export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const STORAGE_KEY = "shopstream_session";

// 128 random bits as hex.
export function randomSessionId(crypto) {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => (byte + 256).toString(16).slice(1))
    .join("");
}

// storage: returns the tab's sessionStorage; a function, since merely
// reading window.sessionStorage throws where the visitor blocks storage.
// pageSessionId: the shop's own session id (data-session), which replaces
// ours and its expiry. Returns current(landingUrl) -> {id, campaign}.
export function createSessions(storage, now, newId, pageSessionId) {
  let inMemory = null; // where storage fails: one session per page load
  function load() {
    try {
      const saved = JSON.parse(storage().getItem(STORAGE_KEY));
      if (saved && typeof saved.id === "string" && typeof saved.seen === "number") return saved;
    } catch {
      // unreadable or blocked: fall back to memory
    }
    return inMemory;
  }
  function save(session) {
    inMemory = session;
    try {
      storage().setItem(STORAGE_KEY, JSON.stringify(session));
    } catch {
      // full or blocked: memory keeps this page's events together
    }
  }
  return function current(landingUrl) {
    const time = now();
    let session = load();
    const stale = !session ||
      (pageSessionId ? session.id !== pageSessionId : time - session.seen > SESSION_IDLE_MS);
    if (stale) {
      session = { id: pageSessionId || newId(), campaign: campaignOf(landingUrl) };
    }
    session.seen = time;
    save(session);
    return session;
  };
}
