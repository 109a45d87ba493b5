// Search by payload path: `order.amount=5`, `data.object.currency!=eur`, `commits.0.id=c0ffee`,
// `commits.id=c0ffee` (a list without an index matches when any item does, as in JSONata). The value is
// read as JSON when it parses (5, true, null, "5"), otherwise as text; text compares case-sensitively.

const PATH_QUERY = /^([A-Za-z_$][\w$-]*(?:\.[\w$-]+|\[\d+\])*)\s*(!=|=)\s*(.*)$/s;

/** {path: [...keys], op, value} for a path query, or null when the text is a plain search. */
export function parsePathQuery(text) {
  const match = PATH_QUERY.exec(text.trim());
  if (!match) return null;
  const path = match[1].replace(/\[(\d+)\]/g, '.$1').split('.');
  return { path, op: match[2], value: readValue(match[3].trim()) };
}

function readValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Every value at `path` in `root` (lists without an index fan out over their items). */
export function valuesAt(root, path) {
  let current = [root];
  for (const key of path) {
    const next = [];
    for (const value of current) {
      if (Array.isArray(value) && !/^\d+$/.test(key)) {
        for (const item of value) if (item !== null && typeof item === 'object' && key in item) next.push(item[key]);
      } else if (value !== null && typeof value === 'object' && key in value) next.push(value[key]);
    }
    current = next;
  }
  return current;
}

function same(actual, wanted) {
  if (actual === wanted) return true;
  if (typeof wanted === 'number' || typeof wanted === 'boolean') return String(actual) === String(wanted);
  return JSON.stringify(actual) === JSON.stringify(wanted);
}

/** A predicate over events for a parsed path query. */
export function pathMatcher({ path, op, value }) {
  return (event) => {
    const found = valuesAt(event.payload, path).some((v) => same(v, value));
    return op === '=' ? found : !found;
  };
}
