import { type KeyboardEvent, useEffect, useRef, useState } from 'react';

export interface PickerItem {
  id: string;
  label: string;
  hint?: string;
}

/** A search box over a list, driven by the keyboard: the quick-add box and the command palette. */
export function Picker({
  title,
  items,
  at,
  onPick,
  onClose,
  empty,
}: {
  title: string;
  items: PickerItem[];
  /** Said when nothing is listed. */
  empty?: string;
  at?: { x: number; y: number };
  onPick: (id: string) => void;
  onClose: () => void;
}) {
  const [q, setQ] = useState('');
  const [i, setI] = useState(0);
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = items.filter((it) => words.every((w) => `${it.label} ${it.hint ?? ''} ${it.id}`.toLowerCase().includes(w)));
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') onClose();
    else if (e.key === 'ArrowDown') setI((x) => Math.min(x + 1, shown.length - 1));
    else if (e.key === 'ArrowUp') setI((x) => Math.max(x - 1, 0));
    else if (e.key === 'Enter' && shown[i]) onPick(shown[i].id);
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  const style = at ? { left: Math.min(at.x, window.innerWidth - 340), top: Math.min(at.y, window.innerHeight - 320) } : undefined;
  return (
    <div className="bl-overlay" onMouseDown={onClose}>
      <div className={`bl-picker${at ? ' at' : ''}`} style={style} role="dialog" aria-label={title} onMouseDown={(e) => e.stopPropagation()}>
        <input
          ref={ref}
          aria-label={title}
          placeholder={title}
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setI(0);
          }}
          onKeyDown={onKey}
        />
        {shown.length === 0 && empty && <p className="bl-muted bl-picker-empty">{empty}</p>}
        <ul>
          {shown.map((it, j) => (
            <li key={it.id}>
              <button type="button" tabIndex={-1} aria-current={j === i} className={j === i ? 'bl-pick active' : 'bl-pick'} onMouseEnter={() => setI(j)} onClick={() => onPick(it.id)}>
                <span>{it.label}</span>
                {it.hint && <small>{it.hint}</small>}
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
