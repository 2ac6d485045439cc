// What a call to track() becomes on the wire, before the page and session
// are added. Whatever the shop passes, what leaves is bounded and typed,
// so a mistake in a shop's code costs one event, never the page.

export const STANDARD_EVENTS = ["page_view", "add_to_cart", "purchase"];
export const MAX_NAME_LENGTH = 64;
export const MAX_PROPERTIES = 20;
export const MAX_PROPERTY_LENGTH = 200;

// null when the call is not an event we send.
export function eventFields(name, properties) {
  const given = properties && typeof properties === "object" ? properties : {};
  if (STANDARD_EVENTS.includes(name)) {
    return {
      event_type: name,
      product_id: productIdOf(given.product_id),
      order_amount: amountOf(given.order_amount),
    };
  }
  if (typeof name !== "string" || !name || name.length > MAX_NAME_LENGTH) return null;
  return { name, properties: stringPropertiesOf(given) };
}

function productIdOf(value) {
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

// Rounded to cents: shop code computes totals in floating point
// (9.95 * 3 is 29.849999999999998), and the server refuses more than two
// decimals. Strings are read as numbers: amounts often come from the page's
// markup. Negative, infinite and unreadable amounts are left out.
function amountOf(value) {
  const amount = parseFloat(value);
  return amount >= 0 && amount < Infinity ? Math.round(amount * 100) / 100 : undefined;
}

// Strings, numbers and booleans become strings; anything else (objects,
// functions, null) is left out rather than guessed at.
function stringPropertiesOf(given) {
  const kept = {};
  let count = 0;
  for (const key of Object.keys(given)) {
    const value = given[key];
    if (/^(string|number|boolean)$/.test(typeof value) && key.length <= MAX_NAME_LENGTH &&
        count++ < MAX_PROPERTIES) {
      kept[key] = String(value).slice(0, MAX_PROPERTY_LENGTH);
    }
  }
  return kept;
}
