import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * SIP digest credentials as both sides store them, never the password itself:
 *   ha1  = md5(user:realm:password)         Kamailio subscriber.ha1 = FreeSWITCH a1-hash
 *   ha1b = md5(user@domain:realm:password)  Kamailio subscriber.ha1b (UAs that send user@domain)
 * The realm is the SIP domain on Kamailio and FreeSWITCH alike, so one value serves both.
 * Only MD5: FreeSWITCH uses a returned a1-hash whatever algorithm the UA chose, so another
 * algorithm's hash would only work with a profile offering that single algorithm.
 */
export interface DigestHashes {
  ha1: string;
  ha1b: string;
}

export interface DigestIdentity {
  /** The extension (digest user name, directory user id). */
  username: string;
  /** The SIP domain, also the digest realm. Lower case, as voip.domains stores it. */
  domain: string;
  password: string;
}

/**
 * The one function computing digest hashes; VoIP Admin's client, the CLI and the seeds all
 * call it. The voicemail PIN hash (FreeSWITCH vm-a1-hash) is the same formula: use `.ha1` of
 * this function with the PIN as password.
 */
export function computeDigestHashes({ username, domain, password }: DigestIdentity): DigestHashes {
  if (username.length === 0 || /[:@\s]/.test(username)) {
    throw new UsageError(`invalid SIP user name ${JSON.stringify(username)}`, 'use letters, digits and . _ + - only');
  }
  if (domain.length === 0 || domain !== domain.toLowerCase() || /[:@\s]/.test(domain)) {
    throw new UsageError(`invalid SIP domain ${JSON.stringify(domain)}`, 'give the domain in lower case, as stored in voip.domains');
  }
  if (password.length === 0) {
    // An empty secret would make a hash anyone can compute.
    throw new UsageError(`empty password for ${username}@${domain}`, 'give a non-empty password');
  }
  return {
    ha1: md5Hex(`${username}:${domain}:${password}`),
    ha1b: md5Hex(`${username}@${domain}:${domain}:${password}`),
  };
}

function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}
