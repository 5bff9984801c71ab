// Builds web/dist: one minified bundle per app with content-hashed names (cached for a year), the HTML shells
// that name them (never cached), the service worker with the list of files to keep for offline use, and a
// manifest.json the gateway reads. `make web` runs it; the gateway serves dist/ as it is.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { catalogue as common } from "./src/lib/messages.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");
const APPS = ["citizen", "staff", "board", "status"];

rmSync(dist, { recursive: true, force: true });
mkdirSync(path.join(dist, "assets"), { recursive: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: Object.fromEntries([
    ...APPS.map((app) => [app, `src/${app}/main.js`]),
    ["app", "src/styles/app.css"],
  ]),
  bundle: true,
  splitting: true,
  format: "esm",
  minify: true,
  sourcemap: false,
  target: ["es2020", "chrome80", "safari15"], // Android phones run Chrome/WebView; iPhones Safari
  outdir: "dist/assets",
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "[name]-[hash]",
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
});

const assets = {}; // entry name → "/assets/name-HASH.ext"
const files = [];
for (const [out, meta] of Object.entries(result.metafile.outputs)) {
  const url = "/" + path.relative("dist", out).split(path.sep).join("/");
  files.push(url);
  if (meta.entryPoint) assets[path.basename(out).replace(/-[A-Z0-9]+\.(js|css)$/, ".$1")] = url;
}

// The icon keeps a hashed name too; the web app manifest names it.
const icon = readFileSync(path.join(here, "src/pages/icon.svg"));
const iconUrl = `/assets/icon-${hash(icon)}.svg`;
writeFileSync(path.join(dist, iconUrl), icon);
files.push(iconUrl);

const text = common.id; // the shells' few words (title, no-script notice) come from the catalogue too
for (const app of APPS) {
  const shell = readFileSync(path.join(here, "src/pages/shell.html"), "utf8")
    .replaceAll("{{css}}", assets["app.css"])
    .replaceAll("{{js}}", assets[`${app}.js`])
    .replaceAll("{{icon}}", iconUrl)
    .replaceAll("{{app}}", app)
    .replaceAll("{{title}}", text.appName)
    .replaceAll("{{noscript}}", `${common.id.noscript} / ${common.en.noscript}`);
  writeFileSync(path.join(dist, `${app}.html`), shell);
}

const webManifest = JSON.parse(readFileSync(path.join(here, "src/pages/manifest.webmanifest"), "utf8"));
webManifest.icons = [{ src: iconUrl, sizes: "any", type: "image/svg+xml", purpose: "any" }];
writeFileSync(path.join(dist, "manifest.webmanifest"), JSON.stringify(webManifest));

// The service worker keeps the citizen app's shell and bundles; its version changes with any of them.
const precache = ["/", "/manifest.webmanifest", ...files.filter((f) => !/\/(staff|board|status)-/.test(f))];
const version = hash(Buffer.from(precache.join("\n") + readFileSync(path.join(dist, "citizen.html"))));
const worker = readFileSync(path.join(here, "src/sw.js"), "utf8")
  .replace("__VERSION__", version)
  .replace("__PRECACHE__", JSON.stringify(precache));
writeFileSync(path.join(dist, "sw.js"), worker);

writeFileSync(path.join(dist, "manifest.json"), JSON.stringify({ assets, files, version }, null, 2));
console.log(`web: ${files.length} files in dist/ (version ${version})`);

function hash(buffer) {
  return createHash("sha256").update(buffer).digest("hex").slice(0, 10).toUpperCase();
}
