// A program's concepts and their prerequisite edges drawn as a read-only
// graph, each concept coloured by the learner's mastery (with the band's name
// and the percentage in text too), and the same concepts as a table: the
// graph is for looking, the table for keyboards and screen readers. Choosing a
// concept in either tells the screen which one to explain.

import { useEffect, useMemo } from "react";
import {
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  useReactFlow,
  useStore,
  type Edge,
  type FitViewOptions,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/base.css";
import "../../styles/learning.css";
import type { ConceptMastery, ProgramDetail } from "../../api/learning";
import { layoutGraph } from "../../lib/graphLayout";
import { BANDS, bandLabel, masteryBand, percent, percentOf } from "./mastery";

const NODE_WIDTH = 180;
const NODE_HEIGHT = 64;
/** Beyond this many concepts a drawing is unreadable; the table still lists them all. */
const MAX_DRAWN_CONCEPTS = 150;
const MIN_MAP_HEIGHT = 160;
const MAX_MAP_HEIGHT = 520;

interface ConceptNodeData extends Record<string, unknown> {
  name: string;
  standing: ConceptMastery | undefined;
  selected: boolean;
}

type ConceptNode = Node<ConceptNodeData, "concept">;

function ConceptNodeView({ id, data }: NodeProps<ConceptNode>) {
  const band = masteryBand(data.standing);
  const fraction = data.standing?.mastery ?? 0;
  return (
    <div
      className={`mastery-node mastery-band-${band}${data.selected ? " selected" : ""}`}
      data-concept-id={id}
      data-band={band}
      data-mastery={percentOf(fraction)}
      title={data.name}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <span className="mastery-node-name">{data.name}</span>
      <span className="mastery-node-standing">
        {band === "mastered" && <span aria-hidden="true">✓ </span>}
        {percent(fraction)} · {bandLabel(band)}
      </span>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

// Module level: React Flow re-creates every node when this object changes.
const nodeTypes = { concept: ConceptNodeView };

// Never larger than life: a small program is drawn at its size, not blown up.
const FIT: FitViewOptions = { padding: 0.08, maxZoom: 1 };

/** Fits the drawing again when the map's width changes (a phone turned, the concept panel opened). */
function FitOnResize() {
  const { fitView } = useReactFlow();
  const width = useStore((state) => state.width);
  useEffect(() => {
    if (width > 0) void fitView(FIT);
  }, [width, fitView]);
  return null;
}

function MasteryLegend() {
  return (
    <ul className="mastery-legend" aria-label="Legend">
      {BANDS.map((b) => (
        <li key={b.band}>
          <span className={`mastery-swatch mastery-band-${b.band}`} aria-hidden="true" />
          {b.label} <span className="muted">({b.hint})</span>
        </li>
      ))}
    </ul>
  );
}

export function MasteryMap({
  program,
  mastery,
  selectedId,
  onSelect,
}: {
  program: ProgramDetail;
  mastery: ConceptMastery[];
  selectedId: string | null;
  onSelect: (conceptId: string) => void;
}) {
  const standings = useMemo(() => new Map(mastery.map((m) => [m.concept_id, m])), [mastery]);
  const drawn = program.concepts.length <= MAX_DRAWN_CONCEPTS;

  // Laid out once per program: mastery and selection change colours, not places.
  const layout = useMemo(() => {
    const ids = new Set(program.concepts.map((c) => c.id));
    // Prerequisites in other programs are not on this map.
    const edges = program.concepts.flatMap((c) =>
      c.prerequisites.filter((p) => ids.has(p)).map((p) => ({ source: p, target: c.id })),
    );
    const positions = drawn
      ? layoutGraph(
          program.concepts.map((c) => ({ id: c.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
          edges,
        )
      : new Map<string, { x: number; y: number }>();
    const bottom = Math.max(0, ...[...positions.values()].map((p) => p.y + NODE_HEIGHT));
    return { edges, positions, height: Math.min(MAX_MAP_HEIGHT, Math.max(MIN_MAP_HEIGHT, bottom + 32)) };
  }, [program, drawn]);

  const nodes: ConceptNode[] = useMemo(
    () =>
      program.concepts.map((c) => ({
        id: c.id,
        type: "concept",
        position: layout.positions.get(c.id) ?? { x: 0, y: 0 },
        width: NODE_WIDTH,
        height: NODE_HEIGHT,
        data: { name: c.name, standing: standings.get(c.id), selected: c.id === selectedId },
      })),
    [program, layout, standings, selectedId],
  );
  const edges: Edge[] = useMemo(
    () =>
      layout.edges.map((e) => ({
        id: `${e.source}->${e.target}`,
        source: e.source,
        target: e.target,
        markerEnd: { type: MarkerType.ArrowClosed, color: "var(--map-edge)" },
      })),
    [layout],
  );

  const masteredCount = program.concepts.filter((c) => standings.get(c.id)?.mastered).length;

  return (
    <div className="mastery-map">
      <p className="muted small">
        {masteredCount} of {program.concepts.length} concepts mastered. Arrows point from a prerequisite to the
        concept that builds on it.
      </p>
      <MasteryLegend />
      {drawn ? (
        <div className="mastery-map-canvas" style={{ height: layout.height }}>
          <ReactFlow
            aria-label={`Mastery map of ${program.program.title}; the table below lists the same concepts`}
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            colorMode="system"
            fitView
            fitViewOptions={FIT}
            minZoom={0.2}
            // Read-only and fixed: a map to look at and click, which never traps page scrolling on a phone.
            nodesDraggable={false}
            nodesConnectable={false}
            nodesFocusable={false}
            edgesFocusable={false}
            elementsSelectable={false}
            disableKeyboardA11y
            panOnDrag={false}
            zoomOnScroll={false}
            zoomOnPinch={false}
            zoomOnDoubleClick={false}
            preventScrolling={false}
            onNodeClick={(_, node) => onSelect(node.id)}
          >
            <FitOnResize />
          </ReactFlow>
        </div>
      ) : (
        <p className="notice">This program has too many concepts to draw; the table lists them all.</p>
      )}
      <div className="table-wrap">
        <table className="mastery-table">
          <caption className="visually-hidden">Mastery by concept in {program.program.title}</caption>
          <thead>
            <tr>
              <th scope="col">Concept</th>
              <th scope="col">Mastery</th>
              <th scope="col">Evidence</th>
            </tr>
          </thead>
          <tbody>
            {program.concepts.map((c) => {
              const standing = standings.get(c.id);
              const band = masteryBand(standing);
              return (
                <tr key={c.id} className={c.id === selectedId ? "selected" : undefined}>
                  <th scope="row">
                    <button
                      type="button"
                      className="link-button"
                      aria-pressed={c.id === selectedId}
                      onClick={() => onSelect(c.id)}
                    >
                      {c.name}
                    </button>
                  </th>
                  <td>
                    <span className="mastery-cell">
                      <span className={`mastery-swatch mastery-band-${band}`} aria-hidden="true" />
                      {percent(standing?.mastery ?? 0)}
                    </span>
                    <span className="mastery-band-label">{bandLabel(band)}</span>
                  </td>
                  <td>{standing?.evidence_count ?? 0}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
