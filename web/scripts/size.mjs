#!/usr/bin/env node
// Prints the gzipped size of the JavaScript the first page load needs: the
// entry chunk and every chunk it imports statically (from Vite's manifest),
// and the same plus the chat screen, which a signed-in person lands on.
// Exits non-zero if that (the larger) exceeds the 300 KB budget.

import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const BUDGET = 300 * 1024;

let manifest;
try {
  manifest = JSON.parse(await readFile(`${dist}.vite/manifest.json`, "utf8"));
} catch {
  console.error("dist/.vite/manifest.json not found: run `npm run build` first");
  process.exit(1);
}

function closure(keys) {
  const seen = new Set();
  const stack = [...keys];
  while (stack.length) {
    const key = stack.pop();
    if (seen.has(key)) continue;
    seen.add(key);
    for (const imported of manifest[key]?.imports ?? []) stack.push(imported);
  }
  return seen;
}

async function gz(file) {
  const bytes = await readFile(dist + file);
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

async function measure(keys) {
  let raw = 0;
  let gzip = 0;
  const css = new Set();
  for (const key of closure(keys)) {
    const entry = manifest[key];
    const size = await gz(entry.file);
    raw += size.raw;
    gzip += size.gzip;
    for (const c of entry.css ?? []) css.add(c);
  }
  let cssGzip = 0;
  for (const c of css) cssGzip += (await gz(c)).gzip;
  return { raw, gzip, cssGzip };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
const chatKey = Object.keys(manifest).find((k) => k.endsWith("routes/Chat.tsx"));

const initial = await measure([entryKey]);
console.log(`initial route JS (sign-in): ${kb(initial.gzip)} gzipped (${kb(initial.raw)} raw); CSS ${kb(initial.cssGzip)} gzipped`);
// A signed-in person opening / lands on the chat, so that is the initial route the budget applies to.
let landing = initial;
if (chatKey) {
  landing = await measure([entryKey, chatKey]);
  console.log(`initial route JS for a signed-in person (entry + chat): ${kb(landing.gzip)} gzipped (${kb(landing.raw)} raw)`);
}
let total = 0;
for (const entry of Object.values(manifest)) if (entry.file.endsWith(".js")) total += (await gz(entry.file)).gzip;
console.log(`all JS chunks: ${kb(total)} gzipped`);
console.log(`budget for the initial route: ${kb(BUDGET)} → ${landing.gzip <= BUDGET ? "within" : "OVER"}`);
if (landing.gzip > BUDGET) process.exit(1);
