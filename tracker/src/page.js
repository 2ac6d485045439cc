// What an event says about the page it came from. Of the address only the
// path and the campaign tags (utm_*) are kept: the rest of a query string
// can carry e-mail addresses, search terms or login tokens.

export const CAMPAIGN_FIELDS = ["utm_source", "utm_medium", "utm_campaign"];

// Paths are free text from the page; a cap keeps every batch far below the
// 64 KB a beacon may carry.
export const MAX_PAGE_LENGTH = 1000;
export const MAX_CAMPAIGN_LENGTH = 200;

// The query parameters are kept as the page wrote them, encoding included.
export function pageOf(url) {
  const query = url.search.slice(1).split("&").filter((part) => part.startsWith("utm_")).join("&");
  return (url.pathname + (query ? "?" + query : "")).slice(0, MAX_PAGE_LENGTH);
}

// The campaign of a landing page; fields without a value are left out.
export function campaignOf(url) {
  const campaign = {};
  for (const field of CAMPAIGN_FIELDS) {
    const value = url.searchParams.get(field);
    if (value) campaign[field] = value.slice(0, MAX_CAMPAIGN_LENGTH);
  }
  return campaign;
}

// The host name of the page the visitor came from, or undefined when they
// came from this shop itself or the browser does not say. Only the host:
// the full referring address may carry another site's private query.
export function referrerHost(referrer, pageHostname) {
  try {
    const host = new URL(referrer).hostname;
    return host && host !== pageHostname ? host : undefined;
  } catch {
    return undefined;
  }
}
