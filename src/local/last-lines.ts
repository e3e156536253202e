/**
 * The last `n` non-blank lines of a program's output or a server log, joined on one line: what a
 * one-line error message quotes of what went wrong (the full text stays in the log).
 */
export function lastLines(text: string, n: number): string {
  return text
    .trim()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-n)
    .join(' | ');
}
