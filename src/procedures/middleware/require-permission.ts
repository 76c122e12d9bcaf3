import { AppError } from '../../errors.js';
import type { Permission } from '../../auth/types.js';
import { defineMiddleware, type Middleware } from '../procedure.js';

/** Refuses callers whose key or user lacks `permission` (99999). */
export function requirePermission(permission: Permission): Middleware {
  return defineMiddleware(['PERMISSION_DENIED'], (ctx) => {
    if (!ctx.principal?.permissions.has(permission)) throw AppError.of('PERMISSION_DENIED', `requires ${permission}`);
  });
}
