interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Corks a socket until the current tick's work is done. Events published together (one group commit
 * acknowledges many appends at once, especially when the relay is busy) then leave in one system call
 * per subscriber rather than one each; a lone event goes out at the end of its own tick, so no latency
 * is added.
 */
export function createTickCork(): (target: Corkable) => void {
  const corked = new Set<Corkable>();
  let scheduled = false;
  const release = () => {
    scheduled = false;
    for (const target of corked) target.uncork();
    corked.clear();
  };
  return function corkForTick(target: Corkable): void {
    if (corked.has(target)) return;
    target.cork();
    corked.add(target);
    if (!scheduled) {
      scheduled = true;
      process.nextTick(release);
    }
  };
}
