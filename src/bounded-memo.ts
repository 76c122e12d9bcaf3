/**
 * Remembers the results of a pure function, for hot paths that see the same inputs again and again (a caller's
 * domain, its address, its GraphQL document, a record set for a domain). Results are found by `keyOf` of the
 * arguments (@default the first argument, a string). First-in-first-out bounded: memory stays bounded however many
 * distinct inputs arrive. A call that throws remembers nothing, so an error is raised again on every call.
 */
export function boundedMemo<A extends readonly unknown[], V>(
  maxEntries: number,
  compute: (...args: A) => V,
  keyOf: (...args: A) => string = (...args) => String(args[0]),
): (...args: A) => V {
  const remembered = new Map<string, V>();
  return (...args) => {
    const key = keyOf(...args);
    if (remembered.has(key)) return remembered.get(key)!;
    const value = compute(...args);
    if (remembered.size >= maxEntries) remembered.delete(remembered.keys().next().value!);
    remembered.set(key, value);
    return value;
  };
}
