// The read key: where the page finds it and where it keeps it.
//
// A key in a URL query (?key=) reaches server and proxy logs, and Referer
// headers; a fragment (#key=) never leaves the browser. Either way the page
// moves the key into sessionStorage (this tab only, gone when it closes)
// and takes it out of the address bar, so that it is neither in the
// history nor in a link someone copies. ?key= is still read, once, so that
// bookmarks from before keep working.

// The part of Storage used here, so tests can hand in a Map.
export interface KeyStorage {
  getItem(name: string): string | null;
  setItem(name: string, value: string): void;
  removeItem(name: string): void;
}

const KEY_PARAMETER = "key";

// A key belongs to the gateway it was given for (see ?api=), and is never
// sent to another one.
export function storageName(apiBase: string): string {
  return `shopstream.readKey:${apiBase}`;
}

export interface FoundKey {
  key: string | null;
  // The page's address without the key, for history.replaceState; null
  // when the address carried none.
  cleanUrl: string | null;
}

// Takes the key out of `href` (the fragment first, then the query) into
// `storage`, or, when the address has none, returns the one stored before.
export function takeKeyFromUrl(href: string, storage: KeyStorage | null, apiBase: string): FoundKey {
  const url = new URL(href);
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ""));
  const inFragment = fragment.get(KEY_PARAMETER);
  const inQuery = url.searchParams.get(KEY_PARAMETER);
  if (inFragment === null && inQuery === null) {
    return { key: readKey(storage, apiBase), cleanUrl: null };
  }
  fragment.delete(KEY_PARAMETER);
  url.searchParams.delete(KEY_PARAMETER);
  const rest = fragment.toString();
  url.hash = rest ? `#${rest}` : "";
  const found = inFragment || inQuery || null;
  if (found) {
    rememberKey(storage, apiBase, found);
  }
  return { key: found ?? readKey(storage, apiBase), cleanUrl: url.toString() };
}

export function readKey(storage: KeyStorage | null, apiBase: string): string | null {
  try {
    const key = storage?.getItem(storageName(apiBase)) ?? null;
    return key ? key : null;
  } catch {
    return null; // storage blocked: the key lives in memory only
  }
}

// From the key form, or the address.
export function rememberKey(storage: KeyStorage | null, apiBase: string, key: string): void {
  try {
    storage?.setItem(storageName(apiBase), key);
  } catch {
    // Storage blocked or full: the key still works until the page closes.
  }
}

export function forgetKey(storage: KeyStorage | null, apiBase: string): void {
  try {
    storage?.removeItem(storageName(apiBase));
  } catch {
    // Nothing was kept.
  }
}

// sessionStorage, or null where the browser refuses it (some privacy
// settings throw on mere access).
export function sessionKeyStorage(): KeyStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}
