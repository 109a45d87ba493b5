// JSON as people read it: pretty-printed, and with object keys sorted for diffs (so that two events
// whose senders ordered keys differently compare by content, not by layout).

export function prettyJson(value) {
  return JSON.stringify(value, null, 2) ?? 'undefined';
}

export function sortedKeys(value) {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys(value[key])]),
  );
}

/** Pretty JSON with sorted keys, split into lines: the input of a line diff. */
export function canonicalLines(value) {
  return prettyJson(sortedKeys(value)).split('\n');
}
