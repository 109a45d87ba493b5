// Sorted arrays of ids (ids sort by creation time): the per-endpoint index of deliveries. Deliveries
// made on other instances arrive a little out of order, so inserts find their place instead of pushing.

/** The index of the first element not below `id`. */
function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts `id` in order unless present; appending (the usual case) costs no search. */
export function insertSorted(ids: string[], id: string): void {
  const last = ids.at(-1);
  if (last === undefined || last < id) {
    ids.push(id);
    return;
  }
  const at = lowerBound(ids, id);
  if (ids[at] !== id) ids.splice(at, 0, id);
}
