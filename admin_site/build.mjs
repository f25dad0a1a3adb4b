// Bundles the admin site into dist/: app.js (Preact + htm + Chart.js), app.css, index.html and a
// default config.js naming the API base URL (REVISIT_API_BASE); a deployment may overwrite config.js.
import { build } from "esbuild";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";

const out = "dist";
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/main.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: `${out}/app.js`,
  legalComments: "none",
});
copyFileSync("src/style.css", `${out}/app.css`);
copyFileSync("index.html", `${out}/index.html`);
const apiBase = process.env.REVISIT_API_BASE || "http://127.0.0.1:8000";
if (process.env.REVISIT_API_BASE || !existsSync(`${out}/config.js`)) {
  writeFileSync(`${out}/config.js`, `window.REVISIT_CONFIG = ${JSON.stringify({ apiBase })};\n`);
}
console.log(`admin site built into ${out}/ (API ${apiBase})`);
