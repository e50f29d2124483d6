// A pipeline's DAG drawn with @xyflow/react, laid out left to right by dagre. On a run's page
// each node carries its state (colour and word), rows and rows/s. Clicking a node tells the page,
// which shows that node's logs (the nodes table has a button per node for the keyboard).
import { useMemo } from 'react';
import { Background, Controls, MarkerType, Position, ReactFlow, type Edge, type Node } from '@xyflow/react';
import dagre from '@dagrejs/dagre';
import type { SpecNode } from './spec.js';

export interface NodeBadge {
  state: string;
  /** A short line under the state: rows, rows/s, attempt. */
  detail?: string;
}

const WIDTH = 190;
const HEIGHT = 64;

function layout(nodes: SpecNode[]): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 60, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: WIDTH, height: HEIGHT });
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) for (const need of n.needs) if (ids.has(need)) g.setEdge(need, n.id);
  dagre.layout(g);
  return new Map(nodes.map((n) => {
    const p = g.node(n.id);
    return [n.id, { x: (p?.x ?? 0) - WIDTH / 2, y: (p?.y ?? 0) - HEIGHT / 2 }];
  }));
}

export function Dag({ nodes, badges, selected, onSelect, label }: { nodes: SpecNode[]; badges?: Record<string, NodeBadge>; selected?: string | null; onSelect?: (id: string) => void; label: string }) {
  const positions = useMemo(() => layout(nodes), [nodes]);
  const flowNodes: Node[] = nodes.map((n) => {
    const badge = badges?.[n.id];
    return {
      id: n.id,
      position: positions.get(n.id) ?? { x: 0, y: 0 },
      sourcePosition: Position.Right,
      targetPosition: Position.Left,
      draggable: false,
      connectable: false,
      selected: selected === n.id,
      className: `dag-node${badge ? ` state-${badge.state}` : ''}`,
      ariaLabel: `node ${n.id}${badge ? `: ${badge.state}` : ''}`,
      data: {
        label: (
          <div className="dag-label" data-node={n.id}>
            <strong>{n.id}</strong>
            <span className="dag-type">{n.type}{n.site ? ` @ ${n.site}` : ''}</span>
            {badge && (
              <span className="dag-state">
                {badge.state}
                {badge.detail ? ` · ${badge.detail}` : ''}
              </span>
            )}
          </div>
        ),
      },
      style: { width: WIDTH },
    };
  });
  const ids = new Set(nodes.map((n) => n.id));
  const edges: Edge[] = nodes.flatMap((n) =>
    n.needs.filter((need) => ids.has(need)).map((need) => ({ id: `${need}->${n.id}`, source: need, target: n.id, markerEnd: { type: MarkerType.ArrowClosed }, focusable: false })),
  );
  // A new shape (the spec arriving after the run's own node list) mounts a new view, fitted to it.
  const shape = useMemo(() => nodes.map((n) => `${n.id}<${n.needs.join(',')}`).join(';'), [nodes]);
  return (
    <section className="dag" aria-label={label}>
      <ReactFlow
        key={shape}
        nodes={flowNodes}
        edges={edges}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1.2 }}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={Boolean(onSelect)}
        onNodeClick={(_e, node) => onSelect?.(node.id)}
        minZoom={0.2}
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </section>
  );
}
