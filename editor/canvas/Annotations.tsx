import { Handle, type Node, NodeResizer, type NodeProps, Position } from '@xyflow/react';
import { Fragment, memo, type ReactNode, useEffect, useRef, useState } from 'react';
import { type Group, memberKeys } from '../lib/groups.js';
import { type Block, type Inline, markdown } from '../lib/markdown.js';
import { type NoteNode, useEditor } from '../store/graph.js';

function Inlines({ items }: { items: Inline[] }): ReactNode {
  return items.map((x, i) => {
    const key = `${i}-${x.t}`;
    if (x.t === 'text') return <Fragment key={key}>{x.v}</Fragment>;
    if (x.t === 'code') return <code key={key}>{x.v}</code>;
    if (x.t === 'b' || x.t === 'i') {
      const Tag = x.t === 'b' ? 'strong' : 'em';
      return (
        <Tag key={key}>
          <Inlines items={x.c} />
        </Tag>
      );
    }
    return (
      <a key={key} href={x.href} target="_blank" rel="noreferrer noopener" className="nodrag">
        <Inlines items={x.c} />
      </a>
    );
  });
}

export function Markdown({ text }: { text: string }) {
  const blocks: Block[] = markdown(text);
  return blocks.map((b, i) => {
    const key = `${i}-${b.t}`;
    if (b.t === 'h') {
      const H = (['h3', 'h4', 'h5'] as const)[b.level - 1];
      return (
        <H key={key}>
          <Inlines items={b.c} />
        </H>
      );
    }
    if (b.t === 'p')
      return (
        <p key={key}>
          <Inlines items={b.c} />
        </p>
      );
    if (b.t === 'pre') return <pre key={key}>{b.v}</pre>;
    const L = b.t;
    return (
      <L key={key}>
        {b.items.map((item, j) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: list items have no identity but their place
          <li key={j}>
            <Inlines items={item} />
          </li>
        ))}
      </L>
    );
  });
}

/** A sticky note: Markdown shown; double-click (or Enter when selected) to edit, blur or Mod+Enter to keep, Escape to cancel. */
export const NoteCard = memo(function NoteCard({ id, data, selected, width }: NodeProps<NoteNode>) {
  const editing = useEditor((s) => s.editingNote === id);
  const st = useEditor.getState;
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (!editing) return;
    // A new node stays invisible until React Flow has measured it, and an invisible field takes no focus: retry for a few frames.
    let frames = 0;
    let raf = 0;
    const focus = () => {
      const el = area.current;
      if (!el || document.activeElement === el || frames++ > 30) return;
      el.focus({ preventScroll: true });
      raf = requestAnimationFrame(focus);
    };
    focus();
    return () => cancelAnimationFrame(raf);
  }, [editing]);
  const done = (text: string | null) => {
    if (text !== null) st().setNoteText(id, text);
    st().editNote(null);
  };
  return (
    <div className={`bl-note${selected ? ' selected' : ''}`} data-testid={`note-${id.slice(5)}`} style={width === undefined ? { width: 220 } : undefined} onDoubleClick={() => st().editNote(id)}>
      <NodeResizer isVisible={selected && !editing} minWidth={120} minHeight={50} lineClassName="bl-note-resize" handleClassName="bl-note-resize" />
      {editing ? (
        <textarea
          ref={area}
          className="nodrag nowheel nopan"
          aria-label="note text (Markdown)"
          defaultValue={data.text}
          placeholder="Markdown: # title, **bold**, - list, `code`, [link](https://…)"
          onBlur={(e) => done(e.target.value)}
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === 'Escape') done(null);
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.blur();
          }}
        />
      ) : data.text.trim() ? (
        <div className="bl-note-text">
          <Markdown text={data.text} />
        </div>
      ) : (
        <p className="bl-note-empty">Double-click to write (Markdown)</p>
      )}
    </div>
  );
});

export type GroupNode = Node<{ group: Group }, 'frame'>;

/** A group's frame (its title bar drags it and its members) or, collapsed, the one box standing for them. */
export const GroupFrame = memo(function GroupFrame({ data, selected }: NodeProps<GroupNode>) {
  const g = data.group;
  const [editing, setEditing] = useState(false);
  const st = useEditor.getState;
  const count = memberKeys(g).length;
  const nodes = g.nodes.length;
  return (
    <div className={`bl-group${g.collapsed ? ' collapsed' : ''}${selected ? ' selected' : ''}`} data-testid={`group-${g.id}`}>
      <div className="bl-group-head">
        <button
          type="button"
          className="bl-group-toggle nodrag"
          aria-label={`${g.collapsed ? 'expand' : 'collapse'} group ${g.title}`}
          aria-expanded={!g.collapsed}
          onClick={() => st().toggleGroup(g.id)}
        >
          {g.collapsed ? '▸' : '▾'}
        </button>
        {editing ? (
          <input
            className="nodrag"
            aria-label="group title"
            // biome-ignore lint/a11y/noAutofocus: the title was opened for editing by the user
            autoFocus
            defaultValue={g.title}
            onBlur={(e) => {
              st().setGroupTitle(g.id, e.target.value.trim() || g.title);
              setEditing(false);
            }}
            onKeyDown={(e) => {
              e.stopPropagation();
              if (e.key === 'Enter') e.currentTarget.blur();
              if (e.key === 'Escape') setEditing(false);
            }}
          />
        ) : (
          <span className="bl-group-title" title="Double-click to rename" onDoubleClick={() => setEditing(true)}>
            {g.title}
          </span>
        )}
        <span className="bl-group-count">{count === nodes ? `${nodes} node${nodes === 1 ? '' : 's'}` : `${count} items`}</span>
      </div>
      {/* Edges to members of a collapsed group are drawn to its box. */}
      <Handle type="target" position={Position.Left} isConnectable={false} className="bl-group-handle" />
      <Handle type="source" position={Position.Right} isConnectable={false} className="bl-group-handle" />
    </div>
  );
});
