// A program's concepts as a graph: prerequisites above what builds on them
// (laid out by `layoutGraph`, which the graph follows as it changes until the
// author drags a concept), an arrow from each prerequisite to the concept
// that requires it. Authors connect two concepts to add a prerequisite and
// select an arrow and press Delete to remove one; what the server refuses
// (a cycle) never appears, because the edges are always the server's.

import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Panel,
  Position,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type NodeProps,
  type OnSelectionChangeParams,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { Concept } from "../../api/programs";
import { layoutGraph } from "../../lib/graphLayout";
import "../../styles/programs.css";

// Every node is drawn this size (see .concept-node), so the layout can space them.
const NODE_WIDTH = 200;
const NODE_HEIGHT = 64;

type ConceptNode = Node<{ concept: Concept }, "concept">;

const ConceptNodeView = memo(function ConceptNodeView({ data, selected }: NodeProps<ConceptNode>) {
  const { concept } = data;
  const sources = concept.material.length;
  return (
    <div className={`concept-node${selected ? " selected" : ""}`}>
      <Handle type="target" position={Position.Top} />
      <span className="concept-node-name">{concept.name}</span>
      <span className="concept-node-meta">
        {concept.estimated_minutes} min · {sources ? `${sources} source${sources === 1 ? "" : "s"}` : "no material"}
      </span>
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});

const NODE_TYPES = { concept: ConceptNodeView };

function laidOut(concepts: Concept[]) {
  return layoutGraph(
    concepts.map((c) => ({ id: c.id, width: NODE_WIDTH, height: NODE_HEIGHT })),
    concepts.flatMap((c) => c.prerequisites.map((p) => ({ source: p, target: c.id }))),
  );
}

const edgeId = (prerequisite: string, concept: string) => `${prerequisite}->${concept}`;

export interface ConceptGraphProps {
  concepts: Concept[];
  selectedId: string | null;
  editable: boolean;
  onSelect: (conceptId: string) => void;
  /** The author connected `prerequisiteId` to `conceptId`: the latter should require the former. */
  onConnect: (conceptId: string, prerequisiteId: string) => void;
  onRemoveEdge: (conceptId: string, prerequisiteId: string) => void;
  describedBy?: string;
}

function Canvas({ concepts, selectedId, editable, onSelect, onConnect, onRemoveEdge, describedBy }: ConceptGraphProps) {
  const flow = useReactFlow();
  const [nodes, setNodes] = useState<ConceptNode[]>([]);
  const [selectedEdges, setSelectedEdges] = useState<ReadonlySet<string>>(new Set());

  // Set once the author drags a concept: from then on concepts stay where they are put and only
  // new ones are placed by the layout, until "Re-layout".
  const arrangedByHand = useRef(false);

  // Read by the placing effect below without making a new selection re-place the graph.
  const selectedIdNow = useRef(selectedId);
  selectedIdNow.current = selectedId;

  useEffect(() => {
    setNodes((current) => {
      const kept = new Map(current.map((n) => [n.id, n]));
      const placeAll = !arrangedByHand.current;
      const layout = placeAll || concepts.some((c) => !kept.has(c.id)) ? laidOut(concepts) : null;
      return concepts.map((c) => ({
        // A node always has a size (the one drawn before, or the size every node is drawn at): handed
        // a node without one, React Flow forgets where its handles are, and if that happens while it
        // measures a new node, it never draws the arrows to or from it.
        ...kept.get(c.id),
        measured: kept.get(c.id)?.measured ?? { width: NODE_WIDTH, height: NODE_HEIGHT },
        id: c.id,
        type: "concept" as const,
        data: { concept: c },
        position: (placeAll ? layout?.get(c.id) : (kept.get(c.id)?.position ?? layout?.get(c.id))) ?? { x: 0, y: 0 },
        selected: c.id === selectedIdNow.current,
        deletable: false,
        ariaLabel: c.name,
      }));
    });
  }, [concepts]);

  // A concept or an arrow added or removed moves the layout, which may then lie outside the view.
  const shape = concepts.map((c) => `${c.id}<${c.prerequisites.join(",")}`).join(" ");
  useEffect(() => {
    if (!arrangedByHand.current) requestAnimationFrame(() => void flow.fitView({ padding: 0.15 }));
  }, [shape, flow]);

  useEffect(() => {
    setNodes((current) =>
      current.map((n) => (n.selected === (n.id === selectedId) ? n : { ...n, selected: n.id === selectedId })),
    );
  }, [selectedId]);

  const edges = useMemo<Edge[]>(() => {
    const names = new Map(concepts.map((c) => [c.id, c.name]));
    // Prerequisites in other programs are listed beside the graph, not drawn in it.
    return concepts.flatMap((c) =>
      c.prerequisites
        .filter((p) => names.has(p))
        .map((p) => ({
          id: edgeId(p, c.id),
          source: p,
          target: c.id,
          selected: selectedEdges.has(edgeId(p, c.id)),
          deletable: editable,
          markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
          ariaLabel: `${c.name} requires ${names.get(p)}`,
        })),
    );
  }, [concepts, editable, selectedEdges]);

  const onNodesChange = useCallback((changes: NodeChange<ConceptNode>[]) => {
    if (changes.some((c) => c.type === "position" && c.dragging)) arrangedByHand.current = true;
    setNodes((current) => applyNodeChanges(changes, current));
  }, []);
  // Only selection is kept here: a removal waits for the server, whose answer redraws the edges.
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    setSelectedEdges((current) => {
      const next = new Set(current);
      for (const change of changes) {
        if (change.type !== "select") continue;
        if (change.selected) next.add(change.id);
        else next.delete(change.id);
      }
      return next;
    });
  }, []);
  const onSelectionChange = useCallback(
    ({ nodes: picked }: OnSelectionChangeParams) => {
      if (picked.length === 1 && picked[0]) onSelect(picked[0].id);
    },
    [onSelect],
  );

  function relayout() {
    arrangedByHand.current = false;
    const positions = laidOut(concepts);
    setNodes((current) => current.map((n) => ({ ...n, position: positions.get(n.id) ?? n.position })));
    requestAnimationFrame(() => void flow.fitView({ padding: 0.15 }));
  }

  return (
    <div className="concept-graph-canvas" role="group" aria-label="Concept map" aria-describedby={describedBy}>
      <ReactFlow<ConceptNode>
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onSelectionChange={onSelectionChange}
        onConnect={(c: Connection) => onConnect(c.target, c.source)}
        isValidConnection={(c) => c.source !== c.target}
        onEdgesDelete={(removed) => removed.forEach((e) => onRemoveEdge(e.target, e.source))}
        nodesConnectable={editable}
        deleteKeyCode={editable ? ["Backspace", "Delete"] : null}
        colorMode="system"
        fitView
        fitViewOptions={{ padding: 0.15 }}
        minZoom={0.2}
      >
        <Panel position="top-right">
          <button type="button" onClick={relayout}>
            Re-layout
          </button>
        </Panel>
        <Background gap={24} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

export function ConceptGraph(props: ConceptGraphProps) {
  return (
    <ReactFlowProvider>
      <Canvas {...props} />
    </ReactFlowProvider>
  );
}
