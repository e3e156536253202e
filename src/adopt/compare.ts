import { KAMAILIO_TABLE_NAMES } from '../kamailio/table-names.js';
import { quoteIdent, type SchemaShape, type TableShape } from './shape.js';

/**
 * Compares a kamdbctl-made schema with what migration 0003 builds, table by table. Each
 * difference is either fixed by a statement (run after the table has moved into `kamailio`),
 * left as it is with a note (a site's own additions), or a problem that refuses the adoption
 * before anything changes (a shape voipdb does not know how to bring to its own safely).
 */
export interface ShapeComparison {
  /** Tables of voipdb's module set found in the source schema: they move. */
  moved: string[];
  /** Tables of the module set that are missing: created from migration 0003. */
  missing: string[];
  /** One line per difference that a statement fixes. */
  differences: string[];
  fixes: string[];
  versionFixes: string[];
  notes: string[];
  problems: string[];
  /** Kamailio release the scripts came from, as far as the catalog tells. */
  release: string;
}

// Version rows that differ between the releases db adopt accepts (5.6 to 6.1) with no column change
// in PostgreSQL: 6.1.0 bumped acc_cdrs from 2 to 3 ("acc_cdrs microsecond support").
const KNOWN_OLDER_VERSIONS: Readonly<Record<string, readonly number[]>> = { acc_cdrs: [2] };

const VARCHAR = /^character varying\((\d+)\)$/;

/** The lines a comparison finds, by kind (a ShapeComparison without its table lists and release). */
type Findings = Pick<ShapeComparison, 'differences' | 'fixes' | 'versionFixes' | 'notes' | 'problems'>;

const noFindings = (): Findings => ({ differences: [], fixes: [], versionFixes: [], notes: [], problems: [] });

export function compareWithReference(source: SchemaShape, reference: SchemaShape): ShapeComparison {
  const moved: string[] = [];
  const missing: string[] = [];
  const parts: Partial<Findings>[] = [];
  for (const [name, ref] of reference.tables) {
    const found = source.tables.get(name);
    if (!found) {
      missing.push(name);
      parts.push({ differences: [`table ${name} is missing: created as migration 0003 defines it`] });
      continue;
    }
    moved.push(name);
    parts.push(compareTable(found, ref));
  }
  parts.push({
    notes: [...source.tables.keys()]
      .filter((name) => !reference.tables.has(name))
      .map((name) =>
        KAMAILIO_TABLE_NAMES.has(name) || source.versions.has(name)
          ? `table ${source.schema}.${name} belongs to a Kamailio module outside voipdb's set: left in schema ${source.schema}, untouched; role kamailio will not see it (its search_path is kamailio) and db check will report it as drift`
          : `table ${source.schema}.${name} is not Kamailio's: left in schema ${source.schema}, untouched (db check will report it as drift)`,
      ),
  });
  parts.push(compareVersions(source, reference));
  const all = noFindings();
  for (const part of parts) for (const kind of Object.keys(all) as (keyof Findings)[]) all[kind].push(...(part[kind] ?? []));
  return { moved, missing, ...all, release: detectRelease(source) };
}

function compareTable(found: TableShape, ref: TableShape): Findings {
  const findings = noFindings();
  const t = `kamailio.${quoteIdent(found.name)}`;
  const columns = new Map(found.columns.map((c) => [c.name, c]));
  for (const want of ref.columns) {
    const have = columns.get(want.name);
    const col = `${found.name}.${want.name}`;
    if (!have) {
      findings.problems.push(`column ${col} (${want.type}) is missing`);
      continue;
    }
    if (have.type !== want.type) {
      const h = VARCHAR.exec(have.type);
      const w = VARCHAR.exec(want.type);
      if (h && w && Number(h[1]) < Number(w[1])) {
        // Widening a varchar is a catalog change only: no rewrite, no scan.
        findings.differences.push(`column ${col} ${have.type} -> ${want.type}`);
        findings.fixes.push(`ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(want.name)} TYPE ${want.type};`);
      } else {
        findings.problems.push(`column ${col} is ${have.type}, voipdb expects ${want.type}`);
      }
    }
    if (have.notNull !== want.notNull) {
      if (want.notNull) findings.problems.push(`column ${col} allows NULL, voipdb expects NOT NULL`);
      else {
        findings.differences.push(`column ${col} NOT NULL -> nullable`);
        findings.fixes.push(`ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(want.name)} DROP NOT NULL;`);
      }
    }
    if (have.default !== want.default) {
      if (/nextval\(/.test(`${have.default}${want.default}`)) {
        findings.problems.push(`column ${col} defaults to ${have.default ?? 'nothing'}, voipdb expects ${want.default ?? 'nothing'}`);
      } else {
        findings.differences.push(`column ${col} default ${have.default ?? '(none)'} -> ${want.default ?? '(none)'}`);
        findings.fixes.push(
          want.default === null
            ? `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(want.name)} DROP DEFAULT;`
            : `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(want.name)} SET DEFAULT ${want.default};`,
        );
      }
    }
  }
  const extra = found.columns.filter((c) => !ref.columns.some((r) => r.name === c.name));
  for (const c of extra)
    findings.notes.push(`column ${found.name}.${c.name} (${c.type}) is not Kamailio's: kept, untouched (db check will report it as drift)`);
  const order = (cols: Array<{ name: string }>, keep: Set<string>) => cols.map((c) => c.name).filter((n) => keep.has(n));
  const common = new Set(ref.columns.map((c) => c.name).filter((n) => columns.has(n)));
  if (order(found.columns, common).join() !== order(ref.columns, common).join()) {
    findings.notes.push(
      `table ${found.name}: its columns are in another order than voipdb's (harmless for Kamailio; db check will report it as drift)`,
    );
  }

  const constraints = new Map(found.constraints.map((c) => [c.name, c]));
  for (const want of ref.constraints) {
    const have = constraints.get(want.name);
    if (!have) {
      findings.differences.push(`constraint ${found.name}.${want.name} is missing: ${want.definition}`);
      findings.fixes.push(`ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(want.name)} ${want.definition};`);
    } else if (have.definition !== want.definition) {
      findings.problems.push(`constraint ${found.name}.${want.name} is ${have.definition}, voipdb expects ${want.definition}`);
    }
  }
  for (const c of found.constraints.filter((c) => !ref.constraints.some((r) => r.name === c.name))) {
    findings.notes.push(`constraint ${found.name}.${c.name} (${c.definition}) is not Kamailio's: kept (db check will report it as drift)`);
  }
  const indexes = new Map(found.indexes.map((i) => [i.name, i]));
  for (const want of ref.indexes) {
    const have = indexes.get(want.name);
    if (!have) {
      findings.differences.push(`index ${want.name} is missing`);
      findings.fixes.push(`${want.definition.replace(/ ON /, ` ON kamailio.`)};`);
    } else if (have.definition !== want.definition) {
      findings.problems.push(`index ${want.name} is "${have.definition}", voipdb expects "${want.definition}"`);
    }
  }
  for (const i of found.indexes.filter((i) => !ref.indexes.some((r) => r.name === i.name))) {
    findings.notes.push(`index ${i.name} is not Kamailio's: kept (db check will report it as drift)`);
  }
  if (found.serialSequence !== ref.serialSequence) {
    findings.problems.push(
      `${found.name}.id takes its values from ${found.serialSequence ?? 'no owned sequence'}, voipdb expects ${ref.serialSequence}`,
    );
  }
  return findings;
}

function compareVersions(source: SchemaShape, reference: SchemaShape): Findings {
  const findings = noFindings();
  for (const [table, want] of reference.versions) {
    const have = source.versions.get(table);
    const literal = `'${table.replace(/'/g, "''")}'`;
    if (have === undefined) {
      findings.differences.push(`version row ${table} is missing: set to ${want}`);
      findings.versionFixes.push(`INSERT INTO kamailio.version (table_name, table_version) VALUES (${literal}, ${want});`);
    } else if (have !== want) {
      if ((KNOWN_OLDER_VERSIONS[table] ?? []).includes(have)) {
        findings.differences.push(`version row ${table} ${have} -> ${want}`);
        findings.versionFixes.push(`UPDATE kamailio.version SET table_version = ${want} WHERE table_name = ${literal};`);
      } else {
        findings.problems.push(
          `version row ${table} is ${have}, voipdb expects ${want} (a Kamailio schema older than 5.6 or newer than 6.1? upgrade it with Kamailio's own scripts first)`,
        );
      }
    }
  }
  for (const table of source.versions.keys()) {
    if (!reference.versions.has(table)) findings.notes.push(`version row ${table} is outside voipdb's module set: kept as it is`);
  }
  return findings;
}

/** Which Kamailio release's scripts made the schema: acc_cdrs' version row and htable's widths tell 5.6, 6.0 and 6.1 apart. */
export function detectRelease(source: SchemaShape): string {
  const accCdrs = source.versions.get('acc_cdrs');
  const keyName = source.tables.get('htable')?.columns.find((c) => c.name === 'key_name')?.type;
  const ims = ['nds_trusted_domains', 's_cscf', 'ro_session', 'dialog_in', 'pcscf_location', 'impu'].some((t) => source.tables.has(t));
  if (accCdrs !== undefined && accCdrs >= 3) return '6.1 (acc_cdrs version 3)';
  if (keyName === 'character varying(256)' || ims)
    return `6.0 (${ims ? 'IMS tables' : 'htable.key_name varchar(256)'}, acc_cdrs version 2)`;
  if (keyName === 'character varying(64)') return '5.6 (htable.key_name varchar(64), acc_cdrs version 2)';
  return accCdrs === 2 ? '5.6 or 6.0 (acc_cdrs version 2; no htable table to tell them apart)' : 'unknown (no acc_cdrs version row)';
}
