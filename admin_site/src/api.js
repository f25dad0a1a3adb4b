// Calls the Revisit API with the staff token; refreshes it before it expires; a 401 signs out.
const base = () => (window.REVISIT_CONFIG && window.REVISIT_CONFIG.apiBase) || "http://127.0.0.1:8000";
const KEY = "revisit.session";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
  }
}

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

function save(data, previous) {
  const value = {
    idToken: data.id_token,
    refreshToken: data.refresh_token || (previous && previous.refreshToken),
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

export function takeSignOutReason() {
  const code = sessionStorage.getItem(REASON);
  sessionStorage.removeItem(REASON);
  return code;
}

function endSession(err) {
  signOut();
  if (err.code) sessionStorage.setItem(REASON, err.code);
  window.location.hash = "#/login";
}

async function send(method, path, body, token, extraHeaders) {
  const text = typeof body === "string";  // an uploaded file (CSV), sent as it is
  const headers = { "Content-Type": text ? "text/csv" : "application/json", ...(extraHeaders || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  const payload = text ? body : body ? JSON.stringify(body) : undefined;
  const reply = await fetch(base() + path, { method, headers, body: payload });
  let data = null;
  try {
    data = await reply.json();
  } catch {
    data = null;
  }
  if (!reply.ok) throw new ApiError(reply.status, data);
  return data;
}

export async function signIn(username, password) {
  return save(await send("POST", "/auth/staff/login", { username, password }));
}

// A page fires several requests at once; near expiry they share one refresh call.
let refreshing = null;

async function freshToken() {
  const current = session();
  if (!current) return null;
  if (current.refreshToken && current.expiresAt - Date.now() < 120000) {
    refreshing = refreshing || send("POST", "/auth/staff/refresh", { refresh_token: current.refreshToken })
      .then((data) => (session() ? save(data, current).idToken : null))
      .catch(() => current.idToken)
      .finally(() => { refreshing = null; });
    return refreshing;
  }
  return current.idToken;
}

export async function get(path) {
  try {
    return await send("GET", path, null, await freshToken());
  } catch (err) {
    if (err.status === 401) endSession(err);
    throw err;
  }
}

// Writes: like `get`, with an optional header map (an Idempotency-Key, for example).
async function write(method, path, body, headers) {
  try {
    return await send(method, path, body, await freshToken(), headers);
  } catch (err) {
    if (err.status === 401) endSession(err);
    throw err;
  }
}

export const post = (path, body, headers) => write("POST", path, body, headers);
export const put = (path, body, headers) => write("PUT", path, body, headers);
export const del = (path, headers) => write("DELETE", path, null, headers);
export const postCsv = (path, text) => write("POST", path, String(text));
