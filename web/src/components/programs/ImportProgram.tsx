// Imports a program as a new draft: from the JSON document an export writes,
// or from its spreadsheets (concepts, prerequisites, questions). A broken file is refused whole, with what is
// wrong in each row.

import { useState, type FormEvent } from "react";
import { useMutation } from "@tanstack/react-query";
import { programs, type ProgramDetail } from "../../api/programs";
import { Field } from "../ui";
import { ProgramErrorNote } from "./ProgramErrorNote";
import "../../styles/programs.css";

async function readJson(file: File): Promise<unknown> {
  try {
    return JSON.parse(await file.text());
  } catch {
    throw new Error(`“${file.name}” is not a JSON file. Choose a file exported from a program (JSON).`);
  }
}

export function ImportProgram({ org, onImported }: { org: string; onImported: (detail: ProgramDetail) => void }) {
  const [documentFile, setDocumentFile] = useState<File | null>(null);
  const [title, setTitle] = useState("");
  const [conceptsFile, setConceptsFile] = useState<File | null>(null);
  const [edgesFile, setEdgesFile] = useState<File | null>(null);
  const [questionsFile, setQuestionsFile] = useState<File | null>(null);

  const importJson = useMutation({
    mutationFn: async (file: File) => programs.importDocument(org, await readJson(file)),
    onSuccess: onImported,
  });
  const importCsv = useMutation({
    mutationFn: async (files: { concepts: File; edges: File; questions: File | null }) =>
      programs.importCsv(org, {
        title: title.trim(),
        concepts_csv: await files.concepts.text(),
        edges_csv: await files.edges.text(),
        questions_csv: files.questions ? await files.questions.text() : null,
      }),
    onSuccess: onImported,
  });

  function submitJson(event: FormEvent) {
    event.preventDefault();
    if (documentFile) importJson.mutate(documentFile);
  }

  function submitCsv(event: FormEvent) {
    event.preventDefault();
    if (conceptsFile && edgesFile) importCsv.mutate({ concepts: conceptsFile, edges: edgesFile, questions: questionsFile });
  }

  return (
    <div className="import-forms">
      <form className="card" onSubmit={submitJson} aria-label="Import a program file">
        <h2>From a program file (JSON)</h2>
        <FileField
          label="Program file"
          hint="A file exported from a program here or on another Wayfinder."
          accept=".json,application/json"
          onPick={(file) => {
            importJson.reset();
            setDocumentFile(file);
          }}
        />
        <ProgramErrorNote error={importJson.error} />
        <div className="actions">
          <button type="submit" className="primary" disabled={!documentFile || importJson.isPending}>
            {importJson.isPending ? "Importing…" : "Import file"}
          </button>
        </div>
      </form>
      <form className="card" onSubmit={submitCsv} aria-label="Import spreadsheets">
        <h2>From spreadsheets (CSV)</h2>
        <Field label="Program title">
          {(p) => <input {...p} value={title} onChange={(e) => setTitle(e.target.value)} />}
        </Field>
        <FileField
          label="Concepts sheet"
          hint="Columns key, name, description, tags (separated by ;), estimated_minutes."
          accept=".csv,text/csv"
          onPick={(file) => {
            importCsv.reset();
            setConceptsFile(file);
          }}
        />
        <FileField
          label="Prerequisites sheet"
          hint="Columns concept, requires: keys from the concepts sheet."
          accept=".csv,text/csv"
          onPick={(file) => {
            importCsv.reset();
            setEdgesFile(file);
          }}
        />
        <FileField
          label="Questions sheet (optional)"
          hint="Columns concepts, kind, prompt, options, answer, explanation, as an export writes them; imported approved."
          accept=".csv,text/csv"
          onPick={(file) => {
            importCsv.reset();
            setQuestionsFile(file);
          }}
        />
        <ProgramErrorNote error={importCsv.error} />
        <div className="actions">
          <button
            type="submit"
            className="primary"
            disabled={!title.trim() || !conceptsFile || !edgesFile || importCsv.isPending}
          >
            {importCsv.isPending ? "Importing…" : "Import spreadsheets"}
          </button>
        </div>
      </form>
    </div>
  );
}

/** A labelled file picker that hands over the chosen file (or none). */
function FileField(props: { label: string; hint: string; accept: string; onPick: (file: File | null) => void }) {
  return (
    <Field label={props.label} hint={props.hint}>
      {(p) => <input {...p} type="file" accept={props.accept} onChange={(e) => props.onPick(e.target.files?.[0] ?? null)} />}
    </Field>
  );
}
