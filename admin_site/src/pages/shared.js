// Helpers shared by the engagement pages: labels of their own, API state, error text, roles.
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { ApiError, get, session } from "../api.js";
import { getLang } from "../i18n.js";

export const html = htm.bind(h);

// Each page passes its own {zh, en} label table; a missing English label falls back to Chinese.
export function labels(table) {
  const L = (key, vars = {}) => {
    const text = table[getLang()][key] ?? table.zh[key] ?? key;
    // A placeholder with no value given stays as written, so a label may show "{nickname}" itself.
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name] ?? "") : whole));
  };
  // An API error: its code's label when the table has one, else the API's own message. A refusal for
  // the role (403) also names its status and code, which is what an admin asked for help needs.
  L.error = (err) => {
    const text = err && err.code && table.zh[err.code] ? L(err.code) : (err && err.message) || String(err);
    return err && err.status === 403 && err.code ? `${text} (403 ${err.code})` : text;
  };
  return L;
}

// The signed-in account's roles (one per account): admin, front_desk, health_manager or analyst.
export const hasRole = (...roles) => ((session() || {}).roles || []).some((role) => roles.includes(role));
export const isAdmin = () => hasRole("admin");
// Work on one patient's record (the API's STAFF): the desk, the health manager and admins.
export const worksWithPatients = () => hasRole("admin", "front_desk", "health_manager");
// Follow-up calls, risk lists and phone numbers to call (the API's MANAGER).
export const isManager = () => hasRole("admin", "health_manager");

export const localName = (item) => (getLang() === "en" && item.name_en ? item.name_en : item.name);

// GET `path` whenever it or `reload` changes: {data, error, loading}.
export function useGet(path, reload = 0) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    get(path).then((data) => live && setState({ data, error: null, loading: false }))
      .catch((error) => live && setState({ data: null, error, loading: false }));
    return () => { live = false; };
  }, [path, reload]);
  return state;
}

// Runs an API write, keeping busy/error/done for the form that started it.
export function useAction(L) {
  const [state, setState] = useState({ busy: false, error: null, done: null });
  const run = async (call, done) => {
    setState({ busy: true, error: null, done: null });
    try {
      const result = await call();
      setState({ busy: false, error: null, done: done || true });
      return result;
    } catch (err) {
      setState({ busy: false, error: L.error(err), done: null });
      return null;
    }
  };
  return [state, run];
}

export const newKey = (what) => `${what}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

// Idempotency-Keys for one form's writes. A request without a definite answer (the network dropped
// it, or a gateway gave up with a 5xx) may still have been applied, so pressing the button again for
// the same request sends the same key and the API applies it once. A definite answer, success or
// refusal, or a different request starts a new key.
export function useWriteKey(what) {
  const pending = useRef(null);
  return async (request, send) => {
    const scope = JSON.stringify(request);
    if (!pending.current || pending.current.scope !== scope) pending.current = { scope, key: newKey(what) };
    try {
      const result = await send({ "Idempotency-Key": pending.current.key });
      pending.current = null;
      return result;
    } catch (err) {
      if (err instanceof ApiError && err.status < 500) pending.current = null;
      throw err;
    }
  };
}
