// V8's JSON.parse errors do not always say where the text went wrong. For a clear start-up message
// about a damaged state file this finds the line and column of the first syntax error.

const WS = new Set([' ', '\t', '\n', '\r']);
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are what JSON strings may not hold.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;

class Scanner {
  i = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  skip(): void {
    while (WS.has(this.text[this.i])) this.i++;
  }
  expect(literal: string): void {
    if (!this.text.startsWith(literal, this.i)) throw this.i;
    this.i += literal.length;
  }
  value(): void {
    this.skip();
    const ch = this.text[this.i];
    if (ch === '{') this.container('}', true);
    else if (ch === '[') this.container(']', false);
    else if (ch === '"') this.string();
    else this.scalar();
  }
  scalar(): void {
    const word = ['true', 'false', 'null'].find((w) => this.text.startsWith(w, this.i));
    if (word) {
      this.i += word.length;
      return;
    }
    const number = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (!number) throw this.i;
    this.i += number[0].length;
  }
  container(close: string, keyed: boolean): void {
    this.i++;
    this.skip();
    if (this.text[this.i] === close) {
      this.i++;
      return;
    }
    for (;;) {
      if (keyed) {
        this.skip();
        this.string();
        this.skip();
        this.expect(':');
      }
      this.value();
      this.skip();
      if (this.text[this.i] === close) {
        this.i++;
        return;
      }
      this.expect(',');
    }
  }
  string(): void {
    if (this.text[this.i] !== '"') throw this.i;
    STRING.lastIndex = this.i;
    if (!STRING.test(this.text)) throw this.i;
    this.i = STRING.lastIndex;
  }
}

/** Line and column (1-based) of the first JSON syntax error in `text`, or null when it parses. */
export function jsonErrorPosition(text: string): { line: number; column: number } | null {
  const scanner = new Scanner(text);
  try {
    scanner.value();
    scanner.skip();
    if (scanner.i < text.length) throw scanner.i;
    return null;
  } catch (at) {
    if (typeof at !== 'number') throw at;
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    return { line, column: at - before.lastIndexOf('\n') };
  }
}
