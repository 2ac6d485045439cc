// The bundle's entry: read the tag that loaded us and start.
import { configFromScript } from "./config.js";
import { start } from "./tracker.js";

try {
  const script = document.currentScript || document.querySelector("script[data-key][src]");
  const config = configFromScript(script, location.href);
  if (config) start(window, config);
} catch {
  // a page without what we need gets no tracking, and no error
}
