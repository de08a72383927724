// A small PDF written by hand for the browser tests: a title in the document
// information, pages of 12 pt Helvetica text, and an outline (bookmarks) whose
// entries become the section path of what is on their page. Enough for the
// server to give citations a document title, a section and a page number.

/** Escapes text for a PDF literal string (WinAnsi covers plain English text). */
function literal(text) {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`)})`;
}

/**
 * Builds a PDF.
 * @param {{ title: string, pages: string[][], outline: { title: string, page: number }[] }} spec
 *   `pages` holds each page's lines (an empty string leaves a paragraph gap); outline pages are 1-based.
 * @returns {Buffer}
 */
export function buildPdf({ title, pages, outline }) {
  // Object numbers: 1 catalog, 2 page tree, 3 font, 4 info, 5 outline root,
  // then per page (page, contents), then one per outline entry.
  const objects = new Map();
  const pageObject = (i) => 6 + i * 2;
  const outlineObject = (i) => 6 + pages.length * 2 + i;

  objects.set(1, "<< /Type /Catalog /Pages 2 0 R /Outlines 5 0 R /PageMode /UseOutlines >>");
  const kids = pages.map((_, i) => `${pageObject(i)} 0 R`).join(" ");
  objects.set(2, `<< /Type /Pages /Kids [${kids}] /Count ${pages.length} /MediaBox [0 0 612 792] >>`);
  objects.set(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  objects.set(4, `<< /Title ${literal(title)} /Producer (Wayfinder browser tests) >>`);
  const last = outline.length - 1;
  objects.set(
    5,
    outline.length
      ? `<< /Type /Outlines /First ${outlineObject(0)} 0 R /Last ${outlineObject(last)} 0 R /Count ${outline.length} >>`
      : "<< /Type /Outlines /Count 0 >>",
  );

  pages.forEach((lines, i) => {
    const ops = ["BT", "/F1 12 Tf", "72 720 Td"];
    let first = true;
    let gap = 0;
    for (const line of lines) {
      if (line === "") {
        gap += 14;
        continue;
      }
      if (!first) ops.push(`0 ${-14 - gap} Td`);
      ops.push(`${literal(line)} Tj`);
      first = false;
      gap = 0;
    }
    ops.push("ET");
    const stream = ops.join("\n");
    objects.set(
      pageObject(i),
      `<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageObject(i) + 1} 0 R >>`,
    );
    objects.set(pageObject(i) + 1, `<< /Length ${Buffer.byteLength(stream, "latin1")} >>\nstream\n${stream}\nendstream`);
  });

  outline.forEach((entry, i) => {
    const links = [
      i > 0 ? `/Prev ${outlineObject(i - 1)} 0 R` : "",
      i < last ? `/Next ${outlineObject(i + 1)} 0 R` : "",
    ].join(" ");
    objects.set(
      outlineObject(i),
      `<< /Title ${literal(entry.title)} /Parent 5 0 R ${links} /Dest [${pageObject(entry.page - 1)} 0 R /XYZ 0 792 0] >>`,
    );
  });

  let body = "%PDF-1.4\n";
  const offsets = [];
  const count = Math.max(...objects.keys());
  for (let n = 1; n <= count; n++) {
    offsets[n] = Buffer.byteLength(body, "latin1");
    body += `${n} 0 obj\n${objects.get(n)}\nendobj\n`;
  }
  const xref = Buffer.byteLength(body, "latin1");
  body += `xref\n0 ${count + 1}\n0000000000 65535 f \n`;
  for (let n = 1; n <= count; n++) body += `${String(offsets[n]).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${count + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}
