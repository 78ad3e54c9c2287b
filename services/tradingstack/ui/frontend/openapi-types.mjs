// The dashboard's TypeScript types from the services' OpenAPI documents (openapi-typescript).
//
//   node openapi-types.mjs <dir of <service>.json> <out dir>
//
// hack/ui_types.py dumps each service's app.openapi() (in-process, no server) and runs this;
// `make ui-types` regenerates src/generated/, and tests/unit/ui checks that the committed
// files are current and that the views compile against freshly generated ones.
import openapiTS, { astToString } from "openapi-typescript";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error("usage: node openapi-types.mjs <dir of <service>.json> <out dir>");
  process.exit(2);
}
await mkdir(out, { recursive: true });
const names = (await readdir(src)).filter((f) => f.endsWith(".json")).sort();
for (const file of names) {
  const service = path.basename(file, ".json");
  const doc = JSON.parse(await readFile(path.join(src, file), "utf8"));
  const ast = await openapiTS(doc, {
    rootTypes: true, // `export type RegimeResult = components["schemas"]["RegimeResult"]`
    rootTypesNoSchemaPrefix: true,
    alphabetize: false,
    silent: true,
  });
  const header =
    `// Generated from the ${service} service's OpenAPI document by openapi-typescript ` +
    "(hack/ui_types.py).\n// Do not edit: run `make ui-types` after changing the service's schemas.\n\n";
  await writeFile(path.join(out, `${service}.ts`), header + astToString(ast));
  console.log(`  ${service}.ts`);
}
