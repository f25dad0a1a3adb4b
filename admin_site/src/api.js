// Calls the Revisit API with the staff token; refreshes it before it expires; a 401 signs out.
// Typed from the OpenAPI document (src/api-types.d.ts, generated: `npm run types`) through JSDoc;
// `npm run check` type-checks this file with tsc.

/** @typedef {import("./api-types").paths} Paths */
/** @typedef {import("./api-types").components["schemas"]} Schemas */
/** @typedef {Schemas["Error"]} ErrorBody */
/**
 * The JSON answer of a route on success, e.g. `Reply<"/clinic", "get">`.
 * @template {keyof Paths} P
 * @template {string} M
 * @typedef {M extends keyof Paths[P]
 *   ? Paths[P][M] extends { responses: infer R }
 *     ? R extends { 200: { content: { "application/json": infer B } } } ? B
 *     : R extends { 201: { content: { "application/json": infer B } } } ? B
 *     : never
 *   : never
 * : never} Reply
 */
/** @typedef {Reply<"/auth/staff/login", "post">} SignedIn */
/** @typedef {Reply<"/auth/staff/refresh", "post">} Refreshed */
/**
 * What the site keeps of a staff sign-in.
 * @typedef {{idToken: string, refreshToken: string | undefined, expiresAt: number, clinicId: string,
 *   roles: string[], username: string}} Session
 */

const base = () => (window.REVISIT_CONFIG && window.REVISIT_CONFIG.apiBase) || "http://127.0.0.1:8000";
const KEY = "revisit.session";

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {ErrorBody | null} body
   */
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.field = body && body.field;  // what the refusal is about (a form names it in its words)
  }
}

/** @returns {Session | null} */
export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

/**
 * @param {SignedIn | Refreshed} data
 * @param {Session} [previous]
 * @returns {Session}
 */
function save(data, previous) {
  /** @type {Session} */
  const value = {
    idToken: data.id_token,
    refreshToken: ("refresh_token" in data && data.refresh_token) || (previous && previous.refreshToken),
    expiresAt: Date.now() + (data.expires_in || 3600) * 1000,
    clinicId: data.clinic_id,
    roles: data.roles,
    username: data.username,
  };
  sessionStorage.setItem(KEY, JSON.stringify(value));
  return value;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

// Why the last session ended (an account disabled, a role changed, a sign-in revoked): the API's
// code, shown once on the sign-in page.
const REASON = "revisit.signedOutBecause";

/** @returns {string | null} */
export function takeSignOutReason() {
  const code = sessionStorage.getItem(REASON);
  sessionStorage.removeItem(REASON);
  return code;
}

/** @param {ApiError} err */
function endSession(err) {
  signOut();
  if (err.code) sessionStorage.setItem(REASON, err.code);
  window.location.hash = "#/login";
}

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} body an object sent as JSON, or a string sent as CSV
 * @param {string | null} [token]
 * @param {Record<string, string>} [extraHeaders]
 * @returns {Promise<any>}
 */
async function send(method, path, body, token, extraHeaders) {
  const text = typeof body === "string";  // an uploaded file (CSV), sent as it is
  /** @type {Record<string, string>} */
  const headers = { "Content-Type": text ? "text/csv" : "application/json", ...(extraHeaders || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  const payload = typeof body === "string" ? body : body ? JSON.stringify(body) : undefined;
  let reply;
  try {
    reply = await fetch(base() + path, { method, headers, body: payload });
  } catch {
    // the network or the API could not be reached: no answer at all (status 0)
    throw new ApiError(0, { code: "network_error", message: "the API could not be reached", field: null });
  }
  let data = null;
  try {
    data = await reply.json();
  } catch {
    data = null;
  }
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

/**
 * @param {string} username
 * @param {string} password
 * @param {string} [newPassword]
 * @returns {Promise<Session>}
 */
export async function signIn(username, password, newPassword) {
  // An invited account's first sign-in replaces its temporary password with the one chosen.
  /** @type {SignedIn} */
  const data = newPassword
    ? await send("POST", "/auth/staff/new-password", { username, password, new_password: newPassword })
    : await send("POST", "/auth/staff/login", { username, password });
  return save(data);
}

/**
 * Staff sign-in through WeCom web login: the code WeCom's redirect carried, for an account of the clinic.
 * @param {string} clinicId
 * @param {string} code
 * @returns {Promise<Session>}
 */
export async function signInWithWecom(clinicId, code) {
  /** @type {SignedIn} */
  const data = await send("POST", "/auth/staff/wecom/login", { clinic_id: clinicId, code });
  return save(data);
}

/** @returns {Promise<Reply<"/auth/staff/providers", "get">>} how staff of this stage sign in */
export function staffProviders() {
  return send("GET", "/auth/staff/providers", null, null);
}

// A page fires several requests at once; near expiry they share one refresh call.
/** @type {Promise<string | null> | null} */
let refreshing = null;

/** @returns {Promise<string | null>} */
async function freshToken() {
  const current = session();
  if (!current) return null;
  if (current.refreshToken && current.expiresAt - Date.now() < 120000) {
    refreshing = refreshing || send("POST", "/auth/staff/refresh", { refresh_token: current.refreshToken })
      .then((/** @type {Refreshed} */ data) => (session() ? save(data, current).idToken : null))
      .catch(() => current.idToken)
      .finally(() => { refreshing = null; });
    return refreshing;
  }
  return current.idToken;
}

/**
 * @param {string} path
 * @returns {Promise<any>}
 */
export async function get(path) {
  try {
    return await send("GET", path, null, await freshToken());
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) endSession(err);
    throw err;
  }
}

// Writes: like `get`, with an optional header map (an Idempotency-Key, for example).
/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 * @returns {Promise<any>}
 */
async function write(method, path, body, headers) {
  try {
    return await send(method, path, body, await freshToken(), headers);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) endSession(err);
    throw err;
  }
}

/** @type {(path: string, body?: unknown, headers?: Record<string, string>) => Promise<any>} */
export const post = (path, body, headers) => write("POST", path, body, headers);
/** @type {(path: string, body?: unknown, headers?: Record<string, string>) => Promise<any>} */
export const put = (path, body, headers) => write("PUT", path, body, headers);
/** @type {(path: string, headers?: Record<string, string>) => Promise<any>} */
export const del = (path, headers) => write("DELETE", path, null, headers);
/** @type {(path: string, text: unknown, headers?: Record<string, string>) => Promise<any>} */
export const postCsv = (path, text, headers) => write("POST", path, String(text), headers);
