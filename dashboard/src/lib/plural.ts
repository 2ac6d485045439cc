// "1 session", "2 sessions": English nouns after a number the locale
// wrote. Intl.PluralRules picks the form, so 1.5 and 0 take the plural.
const rules = new Intl.PluralRules("en-US");

export function plural(count: number, one: string, other = `${one}s`): string {
  return rules.select(count) === "one" ? one : other;
}

// `text` is the number as the page writes it (fmt.count).
export function counted(count: number, text: string, one: string, other?: string): string {
  return `${text} ${plural(count, one, other)}`;
}
