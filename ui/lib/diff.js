// Line diff (Myers' O((N+M)·D) algorithm, "An O(ND) Difference Algorithm and Its Variations", 1986),
// written here rather than vendored: ~60 lines, no dependency to keep up to date.

/** Longest inputs, in lines, and most edits the console will diff; beyond that it says so instead. */
export const DIFF_LIMITS = { lines: 20_000, edits: 2_000 };

/**
 * diffLines(['a','b'], ['a','c']) → [{op:' ', text:'a'}, {op:'-', text:'b'}, {op:'+', text:'c'}],
 * or null when the inputs are too large or too different (see DIFF_LIMITS).
 */
export function diffLines(a, b, limits = DIFF_LIMITS) {
  if (a.length + b.length > limits.lines) return null;
  const trace = shortestEdit(a, b, limits.edits);
  return trace ? backtrack(a, b, trace) : null;
}

/** For each edit count d, a snapshot of the furthest x reached on each diagonal k ∈ [-d-1, d+1]. */
function shortestEdit(a, b, maxEdits) {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace = [];
  for (let d = 0; d <= Math.min(max, maxEdits); d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return trace;
    }
  }
  return null;
}

function backtrack(a, b, trace) {
  const out = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const snapshot = trace[d];
    const at = (k) => snapshot[k + d + 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      out.push({ op: ' ', text: a[x] });
    }
    if (d > 0) out.push(x === prevX ? { op: '+', text: b[prevY] } : { op: '-', text: a[prevX] });
    x = prevX;
    y = prevY;
  }
  return out.reverse();
}

/**
 * Groups a diff for display: changed lines with `context` unchanged lines around them; longer unchanged
 * runs become {op: '…', count}.
 */
export function withContext(lines, context = 3) {
  const keep = lines.map((line) => line.op !== ' ');
  const near = lines.map((_, i) => {
    for (let j = Math.max(0, i - context); j <= Math.min(lines.length - 1, i + context); j++) if (keep[j]) return true;
    return false;
  });
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (near[i]) out.push(lines[i]);
    else if (out.at(-1)?.op === '…') out.at(-1).count++;
    else out.push({ op: '…', count: 1 });
  }
  return out;
}
