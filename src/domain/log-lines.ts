/**
 * A run log's text as lines, for every reader of `format=text` logs (the dashboard's log
 * viewer, the MCP server's excerpts): lines split from decoded chunks, the `==> task T,
 * step S <==` headers between steps, and the Renovate level a line starts with. Pure.
 */

const LEVEL = /^\S+ (TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\b/;

/** The Renovate level of a `format=text` line, lower-case, if it has one. */
export function levelOf(line: string): string | undefined {
  return LEVEL.exec(line)?.[1]?.toLowerCase();
}

const HEADER = /^==> task (.+), step (.+) <==$/;

/** Splits decoded text into lines, keeping an unfinished last line for the next chunk. */
export class LineSplitter {
  private carry = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(text: string): void {
    const parts = (this.carry + text).split('\n');
    this.carry = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
  }
  end(): void {
    if (this.carry) this.onLine(this.carry);
    this.carry = '';
  }
}

/** `task/step` of a step header line, else undefined. */
export function sectionOf(line: string): string | undefined {
  const header = HEADER.exec(line);
  return header ? `${header[1]}/${header[2]}` : undefined;
}
