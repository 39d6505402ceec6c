/**
 * The options that were given a value: `{ a: 1, b: undefined }` gives `{ a: 1 }`,
 * so that spreading them over a defaults table (`{ ...DEFAULTS, ...definedOnly(options) }`)
 * keeps the default of an option passed as `undefined`.
 */
export function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
