// Pages beyond the core ones: each module exports {key, path, label: {zh, en}, component}.
// The component receives the current route; it may use html, useApi-style calls from ../api.js.
import challenges from "./challenges.js";

export const EXTRA_PAGES = [
  challenges,
];
