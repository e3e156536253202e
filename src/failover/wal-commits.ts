import { promises as fs } from 'node:fs';
import path from 'node:path';
import { lsnToBytes, timelineFileName } from '../database/timeline.js';

/**
 * Which transactions an old primary committed after the fork point, read from its own WAL files
 * (no server involved): every COMMIT record from the fork point to the end of its WAL, with its
 * subtransactions. A row whose xmin is one of them was written (inserted, or updated into this
 * version) after the fork: the new primary never saw it.
 *
 * The WAL format read here (page headers, record headers, block references, xl_xact_commit) is
 * the one of PostgreSQL 15 to 18. Each record's CRC-32C is checked; the first record that does
 * not check out (or a page that belongs to an older use of a recycled segment) is the end of WAL.
 */

export interface WalCommits {
  /** Top-level transaction ids and their subtransaction ids, as 32-bit xids (what xmin holds). */
  xids: Set<number>;
  /** Commit records found. */
  commits: number;
  /** Records read after the fork point. */
  records: number;
  /** Where the readable WAL ends (pg_lsn text). */
  endLsn: string;
  /** Set when the WAL could not be read to its end from the fork point (a segment is missing). */
  incomplete?: string;
}

const XLP_LONG_HEADER = 0x0002;
const XLOG_PAGE_MAGIC_MIN = 0xd100; // PostgreSQL 15 is 0xD110, 18 is 0xD118: any 0xD1xx is a WAL page.
const SHORT_HEADER = 24;
const LONG_HEADER = 40;
const RECORD_HEADER = 24;
const RM_XLOG_ID = 0;
const XLOG_SWITCH = 0x40;
const RM_XACT_ID = 1;
const XLOG_XACT_OPMASK = 0x70;
const XLOG_XACT_COMMIT = 0x00;
const XLOG_XACT_COMMIT_PREPARED = 0x30;
const XLOG_XACT_HAS_INFO = 0x80;
const XACT_XINFO_HAS_DBINFO = 1 << 0;
const XACT_XINFO_HAS_SUBXACTS = 1 << 1;
const XACT_XINFO_HAS_RELFILELOCATORS = 1 << 2;
const XACT_XINFO_HAS_INVALS = 1 << 3;
const XACT_XINFO_HAS_TWOPHASE = 1 << 4;
const XACT_XINFO_HAS_DROPPED_STATS = 1 << 8;

/** Reads `pg_wal` of a data directory as one byte stream of timeline `timeline`. */
class WalStream {
  private segments = new Map<number, Buffer | null>();
  segmentSize = 0;
  pageSize = 0;
  missing: string | undefined;

  constructor(
    private readonly walDir: string,
    private readonly timeline: number,
  ) {}

  private segmentName(segNo: number): string {
    const perId = 0x100000000 / this.segmentSize;
    const hi = Math.floor(segNo / perId);
    const lo = segNo % perId;
    const hex = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');
    return `${timelineFileName(this.timeline)}${hex(hi)}${hex(lo)}`;
  }

  /** Learns the segment and page sizes from the long header of the segment holding `lsn`. */
  async open(lsn: number): Promise<boolean> {
    for (const size of [16, 1, 2, 4, 8, 32, 64, 128, 256, 512, 1024].map((mb) => mb * 1024 * 1024)) {
      this.segmentSize = size;
      const file = path.join(this.walDir, this.segmentName(Math.floor(lsn / size)));
      const head = await readHead(file);
      if (head && head.length >= LONG_HEADER && head.readUInt16LE(2) & XLP_LONG_HEADER && head.readUInt32LE(32) === size) {
        this.pageSize = head.readUInt32LE(36);
        return true;
      }
    }
    this.missing = `no WAL segment of timeline ${this.timeline} holds ${formatLsn(lsn)}`;
    return false;
  }

  private async segment(segNo: number): Promise<Buffer | null> {
    if (!this.segments.has(segNo)) {
      const name = this.segmentName(segNo);
      const data = await fs.readFile(path.join(this.walDir, name)).catch(() => null);
      if (data === null) this.missing = `WAL segment ${name} is missing`;
      this.segments.set(segNo, data && data.length === this.segmentSize ? data : null);
      // Keep memory bounded: the scan only ever moves forward.
      for (const k of this.segments.keys()) if (k < segNo - 1) this.segments.delete(k);
    }
    return this.segments.get(segNo) ?? null;
  }

  /** The page holding `pos`, checked to belong to this position (a recycled segment holds older pages). */
  private async page(pos: number): Promise<{ buf: Buffer; start: number; header: number } | null> {
    const seg = await this.segment(Math.floor(pos / this.segmentSize));
    if (!seg) return null;
    const offset = pos % this.segmentSize;
    const pageOffset = offset - (offset % this.pageSize);
    const magic = seg.readUInt16LE(pageOffset);
    const info = seg.readUInt16LE(pageOffset + 2);
    const pageAddr = Number(seg.readBigUInt64LE(pageOffset + 8));
    if ((magic & 0xff00) !== (XLOG_PAGE_MAGIC_MIN & 0xff00) || pageAddr !== pos - (offset % this.pageSize)) return null;
    return { buf: seg, start: pageOffset, header: info & XLP_LONG_HEADER ? LONG_HEADER : SHORT_HEADER };
  }

  /** `n` bytes of records from `pos` on, skipping page headers; null at the end of valid WAL. */
  async read(pos: number, n: number): Promise<{ data: Buffer; end: number } | null> {
    const out = Buffer.alloc(n);
    let got = 0;
    let at = pos;
    while (got < n) {
      const page = await this.page(at);
      if (!page) return null;
      const inPage = at % this.pageSize;
      if (inPage < page.header) at += page.header - inPage;
      const from = page.start + (at % this.pageSize);
      const take = Math.min(n - got, this.pageSize - (at % this.pageSize));
      page.buf.copy(out, got, from, from + take);
      got += take;
      at += take;
    }
    return { data: out, end: at };
  }

  /** Is there a segment after the one holding `pos` whose first page was written for its place (not a recycled file)? */
  async validAfter(pos: number): Promise<boolean> {
    const names = await fs.readdir(this.walDir).catch(() => [] as string[]);
    const here = Math.floor(pos / this.segmentSize);
    const prefix = timelineFileName(this.timeline);
    for (const name of names) {
      if (!/^[0-9A-F]{24}$/.test(name) || !name.startsWith(prefix)) continue;
      const segNo = Number.parseInt(name.slice(8, 16), 16) * (0x100000000 / this.segmentSize) + Number.parseInt(name.slice(16), 16);
      if (segNo <= here) continue;
      const head = await readHead(path.join(this.walDir, name));
      if (head && head.length >= 16 && Number(head.readBigUInt64LE(8)) === segNo * this.segmentSize) return true;
    }
    return false;
  }

  /** Where the next record starts after one that ended at `end`. */
  next(end: number): number {
    const aligned = Math.ceil(end / 8) * 8;
    if (aligned % this.pageSize !== 0) return aligned;
    return aligned + (aligned % this.segmentSize === 0 ? LONG_HEADER : SHORT_HEADER);
  }
}

async function readHead(file: string): Promise<Buffer | null> {
  try {
    const handle = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(LONG_HEADER);
      const { bytesRead } = await handle.read(buf, 0, LONG_HEADER, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

/**
 * Scans `dataDir`'s pg_wal on `timeline` from `forkLsn` to the end of valid WAL. `expectedEndLsn`
 * (where the old primary's WAL is known to end) makes a scan that stops short `incomplete`.
 */
export async function commitsAfter(dataDir: string, timeline: number, forkLsn: string, expectedEndLsn?: string): Promise<WalCommits> {
  const stream = new WalStream(path.join(dataDir, 'pg_wal'), timeline);
  const result: WalCommits = { xids: new Set(), commits: 0, records: 0, endLsn: forkLsn };
  let pos = lsnToBytes(forkLsn);
  if (!(await stream.open(pos))) {
    result.incomplete = stream.missing;
    return result;
  }
  let prev: number | undefined;
  for (;;) {
    const start = stream.next(pos);
    const head = await stream.read(start, RECORD_HEADER);
    if (!head) break;
    const total = head.data.readUInt32LE(0);
    if (total < RECORD_HEADER) break;
    const whole = await stream.read(start, total);
    if (!whole) break;
    const rec = whole.data;
    if (prev !== undefined && Number(rec.readBigUInt64LE(8)) !== prev) break;
    const expected = rec.readUInt32LE(20);
    const actual = finish(crc32c(rec.subarray(0, 20), crc32c(rec.subarray(RECORD_HEADER), CRC_INIT)));
    if (actual !== expected) break;
    result.records++;
    const rmid = rec.readUInt8(17);
    const info = rec.readUInt8(16);
    if (rmid === RM_XACT_ID) {
      const op = info & XLOG_XACT_OPMASK;
      if (op === XLOG_XACT_COMMIT || op === XLOG_XACT_COMMIT_PREPARED) {
        result.commits++;
        const main = mainData(rec);
        for (const xid of committedXids(rec.readUInt32LE(4), info, main, op === XLOG_XACT_COMMIT_PREPARED)) result.xids.add(xid);
      }
    }
    prev = start;
    pos = whole.end;
    // XLOG_SWITCH: the rest of the segment is unused, the next record starts the next segment.
    if (rmid === RM_XLOG_ID && (info & 0xf0) === XLOG_SWITCH) pos = Math.ceil(pos / stream.segmentSize) * stream.segmentSize;
    result.endLsn = formatLsn(pos);
  }
  if (expectedEndLsn !== undefined && pos < lsnToBytes(expectedEndLsn)) {
    result.incomplete = `${stream.missing ?? 'the WAL is unreadable'} at ${formatLsn(stream.next(pos))}, before its end at ${expectedEndLsn}`;
  } else if (expectedEndLsn === undefined && (await stream.validAfter(pos))) {
    // The scan stopped, yet a later segment holds WAL written for its place: a gap, not the end.
    result.incomplete = `the WAL breaks off at ${formatLsn(stream.next(pos))} (${stream.missing ?? 'an unreadable record'}) and goes on in a later segment`;
  }
  return result;
}

/** The main data of a record: after the block headers and the block data (xlogreader's DecodeXLogRecord). */
function mainData(rec: Buffer): Buffer {
  let at = RECORD_HEADER;
  let mainLen = 0;
  while (at < rec.length) {
    const id = rec.readUInt8(at++);
    if (id === 255) {
      mainLen = rec.readUInt8(at);
      at += 1;
      break;
    }
    if (id === 254) {
      mainLen = rec.readUInt32LE(at);
      at += 4;
      break;
    }
    if (id === 253) {
      at += 2; // replication origin
      continue;
    }
    if (id === 252) {
      at += 4; // top-level xid
      continue;
    }
    // A block reference: fork flags and data length (the data itself follows all headers).
    const forkFlags = rec.readUInt8(at);
    at += 3;
    if (forkFlags & 0x10) {
      // A full-page image: its length, hole offset, flags, and the hole length when compressed with a hole.
      const imageInfo = rec.readUInt8(at + 4);
      at += 5;
      if (imageInfo & 0x01 && imageInfo & (0x04 | 0x08 | 0x10)) at += 2;
    }
    if (!(forkFlags & 0x80)) at += 12; // RelFileLocator unless the same as the previous block's
    at += 4; // block number
  }
  return rec.subarray(rec.length - mainLen);
}

/** The xids a commit record makes committed: the transaction and its subtransactions. */
function committedXids(recordXid: number, info: number, main: Buffer, prepared: boolean): number[] {
  const xids: number[] = [];
  let at = 8; // xact_time
  let xinfo = 0;
  if (info & XLOG_XACT_HAS_INFO && main.length >= at + 4) {
    xinfo = main.readUInt32LE(at);
    at += 4;
  }
  if (xinfo & XACT_XINFO_HAS_DBINFO) at += 8;
  if (xinfo & XACT_XINFO_HAS_SUBXACTS) {
    const n = main.readInt32LE(at);
    at += 4;
    for (let i = 0; i < n; i++) xids.push(main.readUInt32LE(at + 4 * i));
    at += 4 * n;
  }
  if (!prepared) {
    if (recordXid !== 0) xids.push(recordXid);
    return xids;
  }
  // COMMIT PREPARED is logged by another backend: the prepared transaction's xid comes last.
  if (xinfo & XACT_XINFO_HAS_RELFILELOCATORS) at += 4 + 12 * main.readInt32LE(at);
  if (xinfo & XACT_XINFO_HAS_DROPPED_STATS) at += 4 + 16 * main.readInt32LE(at);
  if (xinfo & XACT_XINFO_HAS_INVALS) at += 4 + 16 * main.readInt32LE(at);
  if (xinfo & XACT_XINFO_HAS_TWOPHASE) xids.push(main.readUInt32LE(at));
  return xids;
}

export function formatLsn(bytes: number): string {
  const hi = Math.floor(bytes / 2 ** 32);
  const lo = bytes % 2 ** 32;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

// CRC-32C (Castagnoli), as PostgreSQL computes xl_crc: over the record's data, then its header up to xl_crc.
const CRC_INIT = 0xffffffff;
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32c(buf: Buffer, crc: number): number {
  let c = crc;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

function finish(crc: number): number {
  return (crc ^ 0xffffffff) >>> 0;
}
