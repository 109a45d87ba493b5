import type { ValidationError } from 'jsonschema';
import { type Document, LineCounter } from 'yaml';

/** A key path as users write it: `sources[0].verify.scheme` (jsonschema says `instance.sources[0]...`). */
export function keyPathOf(error: ValidationError): string {
  const base = error.property.replace(/^instance\.?/, '');
  if (error.name === 'required' || error.name === 'additionalProperties') {
    return base ? `${base}.${String(error.argument)}` : String(error.argument);
  }
  return base;
}

/** What was expected, in words that say how to fix it. */
export function expectation(error: ValidationError): string {
  const arg = error.argument as unknown;
  switch (error.name) {
    case 'required':
      return 'is required but missing';
    case 'additionalProperties':
      return 'is not a known key here (check its spelling and indentation)';
    case 'enum':
      return `expected one of: ${(arg as unknown[]).join(', ')}`;
    case 'type':
      return `expected ${[arg].flat().join(' or ')}`;
    case 'minimum':
      return `expected at least ${String(arg)}`;
    case 'maximum':
      return `expected at most ${String(arg)}`;
    case 'exclusiveMinimum':
      return `expected more than ${String(arg)}`;
    case 'minItems':
      return `expected at least ${String(arg)} item(s)`;
    case 'minLength':
      return 'expected a non-empty string';
    case 'pattern':
      return `expected text matching ${String(arg)}`;
    default:
      return error.message;
  }
}

/** `sources[0].verify` → ['sources', 0, 'verify'], for finding the node in the YAML document. */
export function segments(keyPath: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const match of keyPath.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(match[2] !== undefined ? Number(match[2]) : match[1]);
  return out;
}

/** Line and column (1-based) of the deepest node on the key path that exists in the file. */
export function locate(doc: Document, lines: LineCounter, keyPath: string): { line: number; col: number } | undefined {
  const path = segments(keyPath);
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, col };
    }
  }
  return undefined;
}

export { LineCounter };
