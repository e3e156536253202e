/**
 * Makes deparsed expressions a fixpoint of "load, then deparse again".
 *
 * PostgreSQL's parser flattens a left-nested AND chain into one node: `(a AND b) AND c` becomes
 * AND(a, b, c). But an AND node can also be nested on the left without parentheses in the source,
 * for example `x BETWEEN 1 AND 64 AND y` is AND(AND(x >= 1, x <= 64), y), which is deparsed as
 * `(((x >= 1) AND (x <= 64)) AND y)`. Loading that text gives the flat node, which deparses as
 * `((x >= 1) AND (x <= 64) AND y)`: schema.sql would not survive its own round trip.
 * Here we do what the parser does: inline a parenthesised AND (or OR) chain that is the first
 * operand of a chain of the same operator. Right-nested chains are left alone, as the parser does.
 *
 * Works on text as pg_get_expr / pg_get_constraintdef / pg_get_indexdef print it: every boolean
 * operand that is not a plain name or call is in parentheses. Quoted literals and identifiers are
 * skipped over, so their contents never count as parentheses or operators.
 */

type Node = string | Group;
interface Group {
  children: Node[];
}

export function flattenBooleanChains(text: string): string {
  const { nodes } = parse(text, 0, false);
  return render(nodes.map(transform));
}

function parse(text: string, start: number, inGroup: boolean): { nodes: Node[]; end: number } {
  const nodes: Node[] = [];
  let plain = '';
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"') {
      const end = skipQuoted(text, i);
      plain += text.slice(i, end);
      i = end;
    } else if (ch === '(') {
      if (plain) nodes.push(plain);
      plain = '';
      const inner = parse(text, i + 1, true);
      nodes.push({ children: inner.nodes });
      i = inner.end + 1;
    } else if (ch === ')' && inGroup) {
      break;
    } else {
      plain += ch;
      i += 1;
    }
  }
  if (plain) nodes.push(plain);
  return { nodes, end: i };
}

/** End index (exclusive) of a '…' literal (with '' and, after E, backslash escapes) or a "…" identifier. */
function skipQuoted(text: string, start: number): number {
  const quote = text[start]!;
  const backslashEscapes = quote === "'" && /[eE]$/.test(text.slice(0, start));
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (backslashEscapes && ch === '\\') {
      i += 2;
    } else if (ch === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return i;
}

function transform(node: Node): Node {
  if (typeof node === 'string') return node;
  let children = node.children.map(transform);
  for (const op of [' AND ', ' OR ']) {
    // The group is a chain of `op` whose first operand is itself a parenthesised chain of `op`.
    for (;;) {
      const [first, next] = children;
      if (typeof first !== 'object' || typeof next !== 'string' || !next.startsWith(op)) break;
      if (!topLevelChainOf(first.children, op)) break;
      children = [...first.children, ...children.slice(1)];
    }
  }
  return { children: mergeStrings(children) };
}

/** True when the top level of a group's content joins operands with `op` and no other boolean operator. */
function topLevelChainOf(children: Node[], op: string): boolean {
  const top = children
    .filter((c): c is string => typeof c === 'string')
    .join(' ')
    .replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, "''");
  const other = op === ' AND ' ? ' OR ' : ' AND ';
  return top.includes(op) && !top.includes(other) && !/\bNOT\b|\bIS\b|\bBETWEEN\b/.test(top);
}

function mergeStrings(nodes: Node[]): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    const last = out[out.length - 1];
    if (typeof n === 'string' && typeof last === 'string') out[out.length - 1] = last + n;
    else out.push(n);
  }
  return out;
}

function render(nodes: Node[]): string {
  return nodes.map((n) => (typeof n === 'string' ? n : `(${render(n.children)})`)).join('');
}
