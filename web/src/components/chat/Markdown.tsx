// Answers are Markdown. Raw HTML is never rendered (skipHtml), links open in
// a new tab without the opener, and citation markers like [1] or [1, 2]
// become buttons that open the cited passage.

import ReactMarkdown, { type Components } from "react-markdown";
import type { Citation } from "../../api/types";

const CITE_PREFIX = "#cite-";

/** Rewrites `[n]` markers that name a known citation into links the renderer turns into chips. */
export function linkCitations(text: string, numbers: Set<number>): string {
  if (numbers.size === 0) return text;
  return text.replace(/\[(\d+(?:\s*[,;]\s*\d+)*)\](?!\()/g, (whole, list: string) => {
    const parts = list.split(/[,;]/).map((n) => Number(n.trim()));
    if (!parts.every((n) => numbers.has(n))) return whole;
    return parts.map((n) => `[\\[${n}\\]](${CITE_PREFIX}${n})`).join("");
  });
}

export function Markdown({
  text,
  citations = [],
  onCite,
}: {
  text: string;
  citations?: Citation[];
  onCite?: (citation: Citation) => void;
}) {
  const byNumber = new Map(citations.map((c) => [c.number, c]));
  const components: Components = {
    a({ href, children }) {
      if (href?.startsWith(CITE_PREFIX)) {
        const citation = byNumber.get(Number(href.slice(CITE_PREFIX.length)));
        if (citation) {
          return (
            <button
              type="button"
              className="cite-chip"
              onClick={() => onCite?.(citation)}
              aria-label={`Source ${citation.number}: ${citation.document_title}`}
              title={citation.document_title}
            >
              {citation.number}
            </button>
          );
        }
      }
      return (
        <a href={href} target="_blank" rel="noopener noreferrer">
          {children}
        </a>
      );
    },
  };
  return (
    <div className="markdown">
      <ReactMarkdown skipHtml components={components}>
        {linkCitations(text, new Set(byNumber.keys()))}
      </ReactMarkdown>
    </div>
  );
}
