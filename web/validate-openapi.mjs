// Validates OpenAPI documents with swagger-parser (the OpenAPI 3 schema,
// every $ref resolves), then what it leaves out for OpenAPI 3: each
// {variable} of a path is a required path parameter of each of its
// operations, and each path parameter is in the path.
//   node web/validate-openapi.mjs DOCUMENT.json...
// Exit 0 when every document is valid, 1 with one line per invalid one.
import SwaggerParser from "@apidevtools/swagger-parser";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: validate-openapi.mjs DOCUMENT.json...");
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  try {
    const api = await SwaggerParser.validate(file);
    for (const [path, item] of Object.entries(api.paths)) {
      const variables = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      for (const [method, operation] of Object.entries(item)) {
        if (typeof operation !== "object" || !operation.responses) continue;
        const declared = [...(item.parameters ?? []), ...(operation.parameters ?? [])]
          .filter((p) => p.in === "path" && p.required).map((p) => p.name).sort();
        if (JSON.stringify(declared) !== JSON.stringify(variables)) {
          throw new Error(`${method.toUpperCase()} ${path}: path parameters ` +
            `[${declared.join(", ")}] do not match the path's [${variables.join(", ")}]`);
        }
      }
    }
    const operations = Object.values(api.paths).reduce((n, p) => n + Object.keys(p).length, 0);
    console.log(`${file}: valid OpenAPI ${api.openapi}, ${operations} operations`);
  } catch (error) {
    console.log(`${file}: ${error.message.split("\n")[0]}`);
    failed++;
  }
}
process.exit(failed === 0 ? 0 : 1);
