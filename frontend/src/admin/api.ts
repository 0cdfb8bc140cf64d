/** REST calls of the administration pages: project settings and rights, users, tokens, passwords, audit. */
import { api, ok } from "../api/client";
import type { components } from "../api/schema";

export type ProjectSettings = components["schemas"]["ProjectSettings-Input"];
export type ColorLimPreset = components["schemas"]["ColorLimPreset"];
export type AutoexecRule = components["schemas"]["AutoexecRule-Input"];
export type RightIn = components["schemas"]["RightIn"];
export type RightOut = components["schemas"]["RightOut"];
export type TokenOut = components["schemas"]["TokenOut"];
export type TokenCreated = components["schemas"]["TokenCreated"];
export type UserOut = components["schemas"]["UserOut"];

/** The right flags a form edits, in the order they are shown. */
export const FLAGS = ["readonly", "download", "batchtool", "deanonym"] as const;

export const projectAdmin = {
  get: (project: string, signal?: AbortSignal) => ok(api.GET("/api/projects/{project}", { params: { path: { project } }, signal })),
  /** `description` undefined: left as it is; settings: only the keys given change */
  update: (project: string, description: string | undefined, settings: ProjectSettings) =>
    ok(api.PATCH("/api/projects/{project}", { params: { path: { project } }, body: { description, settings } })),
  rules: (project: string, signal?: AbortSignal) => ok(api.GET("/api/projects/{project}/autoexec", { params: { path: { project } }, signal })),
  setRules: (project: string, rules: AutoexecRule[]) =>
    ok(api.PUT("/api/projects/{project}/autoexec", { params: { path: { project } }, body: { rules } })),
  rights: (project: string, signal?: AbortSignal) => ok(api.GET("/api/projects/{project}/rights", { params: { path: { project } }, signal })),
  grant: (project: string, username: string, right: RightIn) =>
    ok(api.PUT("/api/projects/{project}/rights/{username}", { params: { path: { project, username } }, body: right })),
  revoke: (project: string, username: string) =>
    ok(api.DELETE("/api/projects/{project}/rights/{username}", { params: { path: { project, username } } })),
};

export const system = {
  users: (signal?: AbortSignal) => ok(api.GET("/api/admin/users", { signal })),
  createUser: (username: string, password: string, isAdmin: boolean, fullName: string, email: string) =>
    ok(api.POST("/api/admin/users", { body: { username, password, is_admin: isAdmin, full_name: fullName, email } })),
  deleteUser: (username: string) => ok(api.DELETE("/api/admin/users/{username}", { params: { path: { username } } })),
  setPassword: (username: string, password: string) =>
    ok(api.PUT("/api/admin/users/{username}/password", { params: { path: { username } }, body: { password } })),
  rights: (username: string, signal?: AbortSignal) =>
    ok(api.GET("/api/admin/users/{username}/rights", { params: { path: { username } }, signal })),
  grant: (username: string, scope: string, right: RightIn) =>
    ok(api.PUT("/api/admin/users/{username}/rights/{scope}", { params: { path: { username, scope } }, body: right })),
  revoke: (username: string, scope: string) =>
    ok(api.DELETE("/api/admin/users/{username}/rights/{scope}", { params: { path: { username, scope } } })),
  tokens: (username: string, signal?: AbortSignal) =>
    ok(api.GET("/api/admin/users/{username}/tokens", { params: { path: { username } }, signal })),
  createToken: (username: string, name: string, days: number | null) =>
    ok(api.POST("/api/admin/users/{username}/tokens", { params: { path: { username } }, body: { name, expires_days: days } })),
  audit: (signal?: AbortSignal) => ok(api.GET("/api/admin/audit", { params: { query: { limit: 100 } }, signal })),
};

export const account = {
  changePassword: (current: string, next: string) =>
    ok(api.POST("/api/auth/password", { body: { current_password: current, new_password: next } })),
  tokens: (signal?: AbortSignal) => ok(api.GET("/api/auth/tokens", { signal })),
  createToken: (name: string, days: number | null) => ok(api.POST("/api/auth/tokens", { body: { name, expires_days: days } })),
  /** any token of one's own; system admins: anyone's */
  revokeToken: (id: number) => ok(api.DELETE("/api/auth/tokens/{token_id}", { params: { path: { token_id: id } } })),
};

/** "" or a positive number of days, as the token forms take it. */
export function parseDays(text: string): { ok: true; days: number | null } | { ok: false; error: string } {
  if (text.trim() === "") return { ok: true, days: null };
  const days = Number(text);
  if (!Number.isFinite(days) || days <= 0 || days > 3650) return { ok: false, error: "Lifetime: a number of days between 0 and 3650, or empty for no expiry" };
  return { ok: true, days };
}
