import { isIP } from 'node:net';
import { z } from 'zod';

/** Field shapes the topology file's sections share (each message says what a value must be). */

/** The message for a wrong value, or "is missing (…)" when a required one is absent. */
export const says = (what: string, missing?: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined && missing ? `is missing (${missing})` : what),
});
/** A string of the given form; one message for a wrong type and a wrong form alike. */
export const text = (form: RegExp, what: string, missing?: string) => z.string(says(what, missing)).regex(form, { error: what });
export const ADDRESS = 'must be an IPv4 or IPv6 address such as 172.16.91.101';
export const address = (missing?: string) => z.string(says(ADDRESS, missing)).refine((v) => isIP(v) !== 0, { error: ADDRESS });
export const PORT = 'must be a port number from 1 to 65535';
export const port = z.int({ error: PORT }).min(1, { error: PORT }).max(65535, { error: PORT });
export const identifier = text(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL name (letters, digits, _)');
/** Paths land in rendered command lines (Keepalived, systemd) and in the shell test of failover/verdict-file.ts: nothing to quote. */
export const absolutePath = text(/^\/[^\s'"<>&\\$`;|]*$/, 'must be an absolute path without spaces, quotes or shell characters');
export const urlPath = text(/^\/[A-Za-z0-9._~/-]*$/, 'must be a URL path such as /freeswitch/cdr');
export const mapping = { error: 'must be a mapping' };
