/**
 * Word-wraps plain text (no colour codes) to `width` columns, line by line: a wrapped line
 * keeps its line's indentation; a word longer than the width stays whole on its own line.
 */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line, Math.max(width, 20)))
    .join('\n');
}

function wrapLine(line: string, width: number): string {
  if (line.length <= width) return line;
  const indent = /^ */.exec(line)?.[0] ?? '';
  const lines: string[] = [];
  let current = '';
  for (const word of line.slice(indent.length).split(' ')) {
    const candidate = current ? `${current} ${word}` : word;
    if (current && indent.length + candidate.length > width) {
      lines.push(indent + current);
      current = word;
    } else {
      current = candidate;
    }
  }
  if (current) lines.push(indent + current);
  return lines.join('\n');
}
