// The tag's attributes:
//   data-key          the shop's collect key (required)
//   data-api          where the API is, when not where the script came from
//   data-session      the page's own session id, instead of ours
//   data-respect-dnt  "true": send nothing for visitors with Do-Not-Track
//                     or Global Privacy Control on
// null when the tag has no key: there is nobody to send to.
export function configFromScript(script, pageUrl) {
  const key = script && script.getAttribute("data-key");
  if (!key) return null;
  const api = new URL(script.getAttribute("data-api") || new URL(script.src).origin, pageUrl);
  const respect = script.getAttribute("data-respect-dnt");
  return {
    endpoint: api.origin + api.pathname.replace(/\/+$/, "") + "/v1/collect?key=" + encodeURIComponent(key),
    pageSessionId: script.getAttribute("data-session") || undefined,
    respectDoNotTrack: respect !== null && respect !== "false",
  };
}
