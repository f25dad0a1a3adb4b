// What the page gives the scripts besides the DOM: config.js sets the API base URL.
interface Window {
  REVISIT_CONFIG?: { apiBase?: string };
}
