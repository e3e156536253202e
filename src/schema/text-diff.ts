/**
 * A line-based unified diff, small enough to own: `db check` shows what differs between a
 * committed file and a fresh one. Kept behind this one function so that a package (such as
 * `diff`) can replace it without touching the callers.
 */
export function unifiedDiff(expected: string, actual: string, labels: { expected: string; actual: string }, context = 3): string {
  if (expected === actual) return '';
  const a = expected.split('\n');
  const b = actual.split('\n');
  const ops = diffLines(a, b);
  const out = [`--- ${labels.expected}`, `+++ ${labels.actual}`];
  // Group changes that are at most 2*context lines apart into hunks.
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.type === ' ') {
      i += 1;
      continue;
    }
    let start = Math.max(0, i - context);
    let end = i;
    let lastChange = i;
    while (end < ops.length && end - lastChange <= 2 * context) {
      if (ops[end]!.type !== ' ') lastChange = end;
      end += 1;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const hunk = ops.slice(start, end);
    const first = hunk[0]!;
    const aCount = hunk.filter((o) => o.type !== '+').length;
    const bCount = hunk.filter((o) => o.type !== '-').length;
    out.push(`@@ -${first.aLine + (aCount ? 1 : 0)},${aCount} +${first.bLine + (bCount ? 1 : 0)},${bCount} @@`);
    for (const o of hunk) out.push(`${o.type}${o.text}`);
    i = end;
    start = end;
  }
  return `${out.join('\n')}\n`;
}

interface Op {
  type: ' ' | '-' | '+';
  text: string;
  aLine: number;
  bLine: number;
}

/** LCS over the lines between the common prefix and suffix (the part that differs is small). */
function diffLines(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre += 1;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf += 1;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const n = am.length;
  const m = bm.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  for (let x = n - 1; x >= 0; x -= 1) {
    for (let y = m - 1; y >= 0; y -= 1) {
      table[x * (m + 1) + y] =
        am[x] === bm[y] ? table[(x + 1) * (m + 1) + y + 1]! + 1 : Math.max(table[(x + 1) * (m + 1) + y]!, table[x * (m + 1) + y + 1]!);
    }
  }
  const ops: Op[] = [];
  let aLine = 0;
  let bLine = 0;
  const push = (type: Op['type'], text: string): void => {
    ops.push({ type, text, aLine, bLine });
    if (type !== '+') aLine += 1;
    if (type !== '-') bLine += 1;
  };
  for (let k = 0; k < pre; k += 1) push(' ', a[k]!);
  let x = 0;
  let y = 0;
  while (x < n || y < m) {
    if (x < n && y < m && am[x] === bm[y]) {
      push(' ', am[x]!);
      x += 1;
      y += 1;
    } else if (x < n && (y >= m || table[(x + 1) * (m + 1) + y]! >= table[x * (m + 1) + y + 1]!)) {
      push('-', am[x]!);
      x += 1;
    } else {
      push('+', bm[y]!);
      y += 1;
    }
  }
  for (let k = a.length - suf; k < a.length; k += 1) push(' ', a[k]!);
  return ops;
}
