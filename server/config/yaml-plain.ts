import { type Alias, type Document, isScalar, visit } from 'yaml';

/**
 * Most alias expansions one YAML document may make (the `yaml` package's maxAliasCount). A file of
 * nested aliases ("billion laughs") grows exponentially when expanded; past this it is refused.
 */
export const MAX_YAML_ALIASES = 100;

export type PlainResult = { ok: true; value: unknown } | { ok: false; offset: number; message: string };

/**
 * `doc.toJS()` with the alias limit, where a refused alias comes back as a problem at its offset in
 * the text (so `file:line:col` points at it) instead of an exception without a position.
 */
export function toPlain(doc: Document.Parsed): PlainResult {
  let culprit: Alias | null = null;
  const watched: Alias[] = [];
  visit(doc, {
    Alias(_key, alias) {
      const toJSON = alias.toJSON;
      // The innermost alias that fails is the one that crossed the limit (or names a missing anchor).
      alias.toJSON = function watchedToJSON(this: Alias, ...args: Parameters<Alias['toJSON']>) {
        try {
          return toJSON.apply(this, args);
        } catch (error) {
          culprit ??= this;
          throw error;
        }
      };
      watched.push(alias);
    },
  });
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) };
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const message = /excessive alias count/i.test(error.message)
      ? `too many alias expansions: at most ${MAX_YAML_ALIASES} per document (nested aliases multiply)`
      : error.message;
    return { ok: false, offset: (culprit as Alias | null)?.range?.[0] ?? 0, message };
  } finally {
    for (const alias of watched) delete (alias as Partial<Alias>).toJSON;
  }
}

/**
 * Offsets of the keys a mapping repeats, in one pass. Parse with `uniqueKeys: false` and call this
 * instead: the yaml package's own check compares each key with every earlier one, which took seconds
 * for a workflow file with 20,000 keys and held the event loop all that time.
 */
export function repeatedKeys(doc: Document.Parsed): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        const value = isScalar(key) ? key.value : key;
        if (value === '<<') continue;
        if (seen.has(value)) offsets.push((key as { range?: [number] } | null)?.range?.[0] ?? 0);
        seen.add(value);
      }
    },
  });
  return offsets;
}

/** Deepest nesting of flow collections (`[ ]`, `{ }`) a workflow file may have. */
export const MAX_YAML_FLOW_DEPTH = 100;

/**
 * The offset of the bracket that opens flow collections past `max` levels, or -1. The yaml package
 * took over a gigabyte for 20,000 nested `{"a":` in a file well under the size cap. Brackets inside
 * quoted strings count too: an over-count only refuses text with 100 unclosed brackets in strings,
 * while a quote-aware scan could be fooled by an apostrophe in a plain scalar.
 */
export function flowDepthPast(text: string, max = MAX_YAML_FLOW_DEPTH): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) {
      depth--;
    }
  }
  return -1;
}
