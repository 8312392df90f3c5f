// Shared by the oracle scripts beside this file: read a captured sample the way the Python
// tests do (samples/<provider>/<name>.json and .body), load an npm package from the folder it
// was installed into (ORACLES, default /tmp/oracles, never this repository), and report.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), "..", "samples");
const ORACLES = process.env.ORACLES ?? "/tmp/oracles";

export function sample(provider, name) {
  const meta = JSON.parse(readFileSync(join(SAMPLES, provider, `${name}.json`), "utf8"));
  const headers = Object.fromEntries(Object.entries(meta.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { ...meta, headers, body: readFileSync(join(SAMPLES, provider, `${name}.body`)) };
}

// One byte changed: the middle one, or the one at ``at``.
export function flipped(body, at = body.length >> 1) {
  const copy = Buffer.from(body);
  copy[at] ^= 1;
  return copy;
}

export async function load(specifier) {
  const resolve = createRequire(join(ORACLES, "package.json")).resolve;
  const version = JSON.parse(
    readFileSync(join(ORACLES, "node_modules", ...specifier.split("/").slice(0, 2), "package.json"), "utf8"),
  ).version;
  return { module: await import(pathToFileURL(resolve(specifier)).href), version };
}

export function pinClock(seconds) {
  Date.now = () => seconds * 1000;
}

// Each check is [what, expected, actual]; any mismatch exits 1.
export function report(title, checks) {
  let ok = true;
  for (const [what, expected, actual] of checks) {
    const same = JSON.stringify(expected) === JSON.stringify(actual);
    ok &&= same;
    console.log(`${same ? "ok  " : "FAIL"} ${title}: ${what}: ${JSON.stringify(actual)}`);
  }
  process.exit(ok ? 0 : 1);
}
