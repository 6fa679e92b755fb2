/**
 * A server-sent events reader: feed it decoded text as it arrives, get back each event's `data`
 * (multi-line data joined with "\n", as the spec says). Comments and other fields are skipped.
 */
export class SseParser {
  private buffer = "";

  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    // Events end with a blank line; any of \r\n, \n or \r ends a line.
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (match === null) break;
      const block = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const data = parseBlock(block);
      if (data !== null) out.push(data);
    }
    return out;
  }

  /** What is left when the stream ends: a last event without its blank line still counts. */
  flush(): string[] {
    const data = this.buffer.trim() ? parseBlock(this.buffer) : null;
    this.buffer = "";
    return data === null ? [] : [data];
  }
}

function parseBlock(block: string): string | null {
  const lines: string[] = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line.startsWith("data:")) lines.push(line.slice(line.startsWith("data: ") ? 6 : 5));
  }
  return lines.length > 0 ? lines.join("\n") : null;
}
