// Bundles src/main.js into dist/t.js: one self-contained, minified IIFE in
// ES2017. The size test builds with the same function, so what it measures
// is what ships.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
export const OUTPUT = join(here, "dist", "t.js");

export async function bundle() {
  const result = await build({
    entryPoints: [join(here, "src", "main.js")],
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2017",
    platform: "browser",
    legalComments: "none",
    write: false,
    logLevel: "error",
  });
  return result.outputFiles[0].contents;
}

export function gzippedSize(code) {
  return gzipSync(code, { level: 9 }).length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const code = await bundle();
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, code);
  console.log(`tracker: dist/t.js ${code.length} bytes, ${gzippedSize(code)} gzipped`);
}
