import type { RoleDescription } from '../roles/index.js';
import type { Check } from './severity.js';

/**
 * One check per platform role: can it log in, and if not, why (no password, no LOGIN, no
 * CONNECT). A role that cannot log in is a WARNING: the service using it is down or will be
 * after its next reconnect, but the database itself is healthy.
 */
export function evaluateRoles(roles: RoleDescription[]): Check[] {
  return roles.map((r): Check => {
    const data = { exists: r.exists, login: r.loginAttribute, password: r.password, canLogin: r.canLogin, replication: r.replication };
    if (r.canLogin === 'yes') return { id: `role.${r.role}`, severity: 'ok', summary: `role ${r.role} can log in (password set)`, data };
    if (r.canLogin === 'unknown') {
      return { id: `role.${r.role}`, severity: 'unknown', summary: `role ${r.role}: ${r.loginProblems.join('; ')}`, data };
    }
    return { id: `role.${r.role}`, severity: 'warning', summary: `role ${r.role} cannot log in: ${r.loginProblems.join('; ')}`, data };
  });
}
