// Exports a program (the latest version, drafts included) as the JSON
// document an import reads back, or as its spreadsheets (concepts, prerequisites, questions). Each file is a
// link the browser saves, made from what the API answered.

import { useEffect, useMemo, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { programs, type ProgramCsv } from "../../api/programs";
import { ErrorNote } from "../ui";
import "../../styles/programs.css";

interface ExportFile {
  name: string;
  text: string;
  type: string;
}

function fileStem(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "program";
}

/** A link that saves `file`; its object URL lives as long as the link. */
function DownloadLink({ file }: { file: ExportFile }) {
  const url = useMemo(() => URL.createObjectURL(new Blob([file.text], { type: file.type })), [file]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <a className="button" href={url} download={file.name}>
      Save {file.name}
    </a>
  );
}

export function ProgramExport({ org, programId, title }: { org: string; programId: string; title: string }) {
  const [files, setFiles] = useState<ExportFile[]>([]);
  const stem = fileStem(title);
  const exportJson = useMutation({
    mutationFn: () => programs.exportDocument(org, programId),
    onSuccess: (document) =>
      setFiles([{ name: `${stem}.json`, text: JSON.stringify(document, null, 2), type: "application/json" }]),
  });
  const exportCsv = useMutation({
    mutationFn: () => programs.exportCsv(org, programId),
    onSuccess: (csv: ProgramCsv) =>
      setFiles([
        { name: `${stem}-concepts.csv`, text: csv.concepts_csv, type: "text/csv" },
        { name: `${stem}-prerequisites.csv`, text: csv.edges_csv, type: "text/csv" },
        { name: `${stem}-questions.csv`, text: csv.questions_csv, type: "text/csv" },
      ]),
  });

  return (
    <div className="program-export">
      <div className="actions start">
        <button type="button" onClick={() => exportJson.mutate()} disabled={exportJson.isPending}>
          Export JSON
        </button>
        <button type="button" onClick={() => exportCsv.mutate()} disabled={exportCsv.isPending}>
          Export CSV
        </button>
      </div>
      <ErrorNote error={exportJson.error ?? exportCsv.error} />
      {files.length > 0 && (
        <div className="actions start" role="status">
          {files.map((f) => (
            <DownloadLink key={f.name} file={f} />
          ))}
        </div>
      )}
    </div>
  );
}
