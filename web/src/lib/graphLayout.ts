// Lays out a concept graph for drawing: prerequisites above (or left of) what
// builds on them, computed by dagre so every screen that draws a program's
// graph places its concepts the same way.

import dagre from "@dagrejs/dagre";

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
}

export interface LayoutEdge {
  /** The prerequisite. */
  source: string;
  /** The concept that requires it. */
  target: string;
}

export type LayoutDirection = "TB" | "LR";

/** The top-left corner of every node, keyed by id. */
export function layoutGraph(
  nodes: LayoutNode[],
  edges: LayoutEdge[],
  direction: LayoutDirection = "TB",
): Map<string, { x: number; y: number }> {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: direction, nodesep: 32, ranksep: 56, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) graph.setNode(n.id, { width: n.width, height: n.height });
  for (const e of edges) if (graph.hasNode(e.source) && graph.hasNode(e.target)) graph.setEdge(e.source, e.target);
  dagre.layout(graph);
  const positions = new Map<string, { x: number; y: number }>();
  for (const n of nodes) {
    const placed = graph.node(n.id);
    // dagre gives centres; React Flow wants top-left corners.
    positions.set(n.id, { x: placed.x - n.width / 2, y: placed.y - n.height / 2 });
  }
  return positions;
}
