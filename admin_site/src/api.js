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

async function send(method, path, body, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const reply = await fetch(base() + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
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

async function freshToken() {
  const current = session();
  if (!current) return null;
  if (current.refreshToken && current.expiresAt - Date.now() < 120000) {
    try {
      return save(await send("POST", "/auth/staff/refresh", { refresh_token: current.refreshToken }), current).idToken;
    } catch {
      return current.idToken;
    }
  }
  return current.idToken;
}

export async function get(path) {
  try {
    return await send("GET", path, null, await freshToken());
  } catch (err) {
    if (err.status === 401) {
      signOut();
      window.location.hash = "#/login";
    }
    throw err;
  }
}
