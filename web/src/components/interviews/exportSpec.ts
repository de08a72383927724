// A flow's export: its spec as a JSON file the browser saves, which "Import
// JSON" (here or on another Wayfinder) reads back.

import type { FlowSpec } from "../../api/interviews";

export function specFileName(spec: FlowSpec): string {
  const stem = spec.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "interview";
  return `${stem}.json`;
}

/** Saves `spec` as `<name>.json` through a link clicked on the person's behalf. */
export function downloadSpec(spec: FlowSpec): void {
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(spec, null, 2)}\n`], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = specFileName(spec);
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started once the click is handled.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
