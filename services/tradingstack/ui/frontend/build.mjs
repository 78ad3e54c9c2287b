// Builds the dashboard into ../static: one minified, content-hashed JS bundle and CSS file
// (esbuild), and index.html pointing at them with relative URLs, so the same build works at `/`
// behind the local gateway and behind the Ingress. Nothing is fetched from a CDN at run time.
import { build } from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../static");

await rm(out, { recursive: true, force: true });
await mkdir(path.join(out, "assets"), { recursive: true });

const result = await build({
  entryPoints: [path.join(here, "src/main.ts")],
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  outdir: path.join(out, "assets"),
  entryNames: "[name]-[hash]",
  metafile: true,
  legalComments: "linked",
  logLevel: "warning",
});

const sizes = Object.fromEntries(
  Object.entries(result.metafile.outputs).map(([p, o]) => [path.relative(out, path.resolve(p)), o.bytes]),
);
const outputs = Object.keys(sizes);
const js = outputs.find((p) => p.endsWith(".js"));
const css = outputs.find((p) => p.endsWith(".css"));
if (!js || !css) throw new Error(`unexpected build outputs: ${outputs.join(", ")}`);

const template = await readFile(path.join(here, "index.html"), "utf8");
const html = template
  .replace("<!-- css -->", `<link rel="stylesheet" href="./${css}" />`)
  .replace("<!-- js -->", `<script type="module" src="./${js}"></script>`);
if (html === template) throw new Error("index.html lacks the <!-- css --> / <!-- js --> markers");
await writeFile(path.join(out, "index.html"), html);

for (const p of outputs) {
  console.log(`  ${p.padEnd(40)} ${(sizes[p] / 1024).toFixed(1)} KiB`);
}
console.log(`built the dashboard into ${out}`);
