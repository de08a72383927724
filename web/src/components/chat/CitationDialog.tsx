import type { Citation } from "../../api/types";
import { Dialog } from "../ui";
import { pages } from "../../lib/format";

/** The passage a citation points to: document, section, pages and text. */
export function CitationDialog({ citation, onClose }: { citation: Citation | null; onClose: () => void }) {
  // A section label that only repeats the document title says nothing new.
  const section = citation?.section && citation.section !== citation.document_title ? citation.section : null;
  const where = citation ? [section, pages(citation.page_start, citation.page_end)].filter(Boolean) : [];
  return (
    <Dialog open={!!citation} title={citation ? `Source ${citation.number}` : "Source"} onClose={onClose} className="citation-dialog">
      {citation && (
        <div className="citation">
          <p className="citation-title">{citation.document_title}</p>
          {where.length > 0 && <p className="citation-where">{where.join(" · ")}</p>}
          <blockquote className="citation-text">{citation.text}</blockquote>
        </div>
      )}
    </Dialog>
  );
}
