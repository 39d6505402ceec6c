/**
 * What a module's entry exports: `createModule(context)`, as the default export
 * (ES module), `module.exports` (CommonJS), or the `default` of a CommonJS module
 * compiled from TypeScript. One function finds it, for the publish-time check and
 * for loading alike.
 */

export type ModuleFactory = (context: unknown) => unknown;

/** The factory an imported entry exports, or `undefined`. */
export function factoryOf(namespace: Record<string, unknown>): ModuleFactory | undefined {
  const exported = namespace.default;
  if (typeof exported === 'function') return exported as ModuleFactory;
  // CommonJS compiled from `export default`: module.exports = { default: createModule }.
  const nested = (exported as { default?: unknown } | null | undefined)?.default;
  if (typeof nested === 'function') return nested as ModuleFactory;
  return undefined;
}

/** What the entry exports instead, for the message: `exports createModule, router (no default)`. */
export function describeExports(namespace: Record<string, unknown>): string {
  const names = Object.keys(namespace).filter((name) => name !== 'default' && name !== 'module.exports');
  const exported = namespace.default;
  const defaultText =
    exported === undefined ? 'no default export' : `a default export of type ${typeOfValue(exported)}`;
  return names.length === 0 ? defaultText : `${defaultText} and ${names.join(', ')}`;
}

function typeOfValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
