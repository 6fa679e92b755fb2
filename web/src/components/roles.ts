import type { Role } from "../api/client";

export const ROLES: Role[] = ["owner", "admin", "editor", "member"];

const RANK: Record<Role, number> = { owner: 4, admin: 3, editor: 2, member: 1 };

export function atLeast(role: Role | undefined, needed: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}

/** Owners and admins manage members, API keys and read the audit log. */
export const canManage = (role: Role | undefined) => atLeast(role, "admin");

/** Roles the caller may hand out: an admin can't create owners. */
export function assignableRoles(role: Role | undefined): Role[] {
  if (role === "owner") return ROLES;
  if (role === "admin") return ["admin", "editor", "member"];
  return [];
}
