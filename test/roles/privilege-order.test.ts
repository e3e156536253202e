import { describe, expect, it } from 'vitest';
import { summarizePrivileges } from '../../src/roles/describe-roles.js';
import { sortPrivileges } from '../../src/sql/privilege-order.js';

describe('one privilege order for schema.sql and db roles', () => {
  it("lists privileges in GRANT's order, with grant options beside their privilege and unknown ones last", () => {
    expect(sortPrivileges(['USAGE', 'MAINTAIN', 'SELECT', 'CONNECT', 'SET', 'CREATE', 'TEMPORARY', 'SELECT'])).toEqual([
      'SELECT',
      'USAGE',
      'CREATE',
      'CONNECT',
      'TEMPORARY',
      'MAINTAIN',
      'SET',
    ]);
    expect(sortPrivileges(['UPDATE*', 'SELECT', 'INSERT'])).toEqual(['SELECT', 'INSERT', 'UPDATE*']);
  });

  it('db roles writes a sequence grant as schema.sql does: SELECT,USAGE', () => {
    expect(
      summarizePrivileges([
        { kind: 'sequence', object: 'kamailio.acc_id_seq', grantee: 'kamailio', privileges: ['USAGE', 'SELECT'] },
        { kind: 'sequence', object: 'kamailio.location_id_seq', grantee: 'kamailio', privileges: ['SELECT', 'USAGE'] },
        { kind: 'schema', object: 'voip', grantee: 'voipadmin', privileges: ['USAGE', 'CREATE'] },
      ]),
    ).toEqual(['SELECT,USAGE on 2 sequences in kamailio', 'USAGE,CREATE on schema voip']);
  });
});
