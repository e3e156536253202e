/**
 * Facts about a SQL file's text that hold before any parsing: its byte order mark and its
 * no-transaction marker. The engine and the lint both read a file through these, so a BOM
 * means the same thing everywhere: it is not SQL, and it does not hide the marker.
 */

/** First line of a migration that must run outside a transaction (CREATE INDEX CONCURRENTLY). */
export const NO_TRANSACTION_MARKER = '-- voipdb:no-transaction';

const BOM = '\uFEFF';

/**
 * The SQL of a file: without a leading byte order mark, which editors on Windows add and which
 * neither the server nor the parser accepts. Offsets, lines and columns refer to this text
 * (the BOM is invisible in an editor, so columns stay as the user sees them).
 */
export function sqlText(fileText: string): string {
  return fileText.startsWith(BOM) ? fileText.slice(BOM.length) : fileText;
}

/** Whether the file's first line is the no-transaction marker (a BOM and CR/LF endings allowed). */
export function isNoTransaction(fileText: string): boolean {
  const firstLine = sqlText(fileText).split(/\r?\n/, 1)[0] ?? '';
  return firstLine.trim() === NO_TRANSACTION_MARKER;
}
