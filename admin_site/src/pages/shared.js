// Helpers shared by the engagement pages: labels of their own, API state, error text, roles.
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import htm from "htm";
import { get, session } from "../api.js";
import { getLang } from "../i18n.js";

export const html = htm.bind(h);

// Each page passes its own {zh, en} label table; a missing English label falls back to Chinese.
export function labels(table) {
  const L = (key, vars = {}) => {
    const text = table[getLang()][key] ?? table.zh[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
  };
  // An API error: its code's label when the table has one, else the API's own message.
  L.error = (err) => (err && err.code && table.zh[err.code] ? L(err.code) : (err && err.message) || String(err));
  return L;
}

export const isAdmin = () => ((session() || {}).roles || []).includes("admin");

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
