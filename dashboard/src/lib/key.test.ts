import { describe, expect, it } from "vitest";
import { type KeyStorage, forgetKey, readKey, rememberKey, storageName, takeKeyFromUrl } from "./key";

class MapStorage implements KeyStorage {
  readonly items = new Map<string, string>();
  getItem(name: string) {
    return this.items.get(name) ?? null;
  }
  setItem(name: string, value: string) {
    this.items.set(name, value);
  }
  removeItem(name: string) {
    this.items.delete(name);
  }
}

// Storage that a browser with strict privacy settings hands out.
const blocked: KeyStorage = {
  getItem: () => {
    throw new Error("denied");
  },
  setItem: () => {
    throw new Error("denied");
  },
  removeItem: () => {
    throw new Error("denied");
  },
};

describe("read key", () => {
  it("takes the key from the fragment into storage and out of the address", () => {
    const storage = new MapStorage();
    const found = takeKeyFromUrl("http://h:8080/?shop=a&range=1h#key=ssk_1_2", storage, "");
    expect(found.key).toBe("ssk_1_2");
    expect(found.cleanUrl).toBe("http://h:8080/?shop=a&range=1h");
    expect(storage.items.get(storageName(""))).toBe("ssk_1_2");
  });

  it("keeps the rest of the fragment and decodes the key", () => {
    const storage = new MapStorage();
    const found = takeKeyFromUrl("http://h/#panel=x&key=a%2Bb", storage, "");
    expect(found).toEqual({ key: "a+b", cleanUrl: "http://h/#panel=x" });
  });

  it("moves an old ?key= bookmark over once, keeping the other parameters", () => {
    const storage = new MapStorage();
    const found = takeKeyFromUrl("http://h/?shop=a&key=ssk_old&range=24h", storage, "");
    expect(found).toEqual({ key: "ssk_old", cleanUrl: "http://h/?shop=a&range=24h" });
    // The address the page now shows has no key; the tab still has one.
    const again = takeKeyFromUrl(found.cleanUrl!, storage, "");
    expect(again).toEqual({ key: "ssk_old", cleanUrl: null });
  });

  it("prefers the fragment and strips both", () => {
    const storage = new MapStorage();
    const found = takeKeyFromUrl("http://h/?key=old#key=new", storage, "");
    expect(found).toEqual({ key: "new", cleanUrl: "http://h/" });
  });

  it("an empty key is stripped and leaves the stored one", () => {
    const storage = new MapStorage();
    rememberKey(storage, "", "kept");
    expect(takeKeyFromUrl("http://h/?shop=a#key=", storage, "")).toEqual({
      key: "kept",
      cleanUrl: "http://h/?shop=a",
    });
    expect(takeKeyFromUrl("http://h/?shop=a", storage, "")).toEqual({ key: "kept", cleanUrl: null });
  });

  it("keeps keys apart per gateway, so a key goes to no other server", () => {
    const storage = new MapStorage();
    takeKeyFromUrl("http://h/#key=own", storage, "");
    takeKeyFromUrl("http://h/?api=http://other:8080#key=theirs", storage, "http://other:8080");
    expect(readKey(storage, "")).toBe("own");
    expect(readKey(storage, "http://other:8080")).toBe("theirs");
    expect(readKey(storage, "http://third")).toBeNull();
  });

  it("forgets a key", () => {
    const storage = new MapStorage();
    rememberKey(storage, "", "k");
    forgetKey(storage, "");
    expect(readKey(storage, "")).toBeNull();
    expect(storage.items.size).toBe(0);
  });

  it("works from the address alone when storage is blocked", () => {
    expect(takeKeyFromUrl("http://h/#key=k", blocked, "")).toEqual({ key: "k", cleanUrl: "http://h/" });
    expect(takeKeyFromUrl("http://h/", blocked, "")).toEqual({ key: null, cleanUrl: null });
    expect(takeKeyFromUrl("http://h/#key=k", null, "")).toEqual({ key: "k", cleanUrl: "http://h/" });
    expect(() => forgetKey(blocked, "")).not.toThrow();
  });
});
