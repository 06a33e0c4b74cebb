import { type ReactNode, useEffect, useRef } from 'react';

/** A dialog over the page: Escape or a click outside closes it; focus moves into it so the keyboard works at once. */
export function Modal({ label, onClose, wide, children, testId }: { label: string; onClose: () => void; wide?: boolean; children: ReactNode; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (el && !el.contains(document.activeElement)) (el.querySelector<HTMLElement>('[data-autofocus]') ?? el.querySelector<HTMLElement>('button, input, select, textarea'))?.focus();
  }, []);
  return (
    <div
      className="bl-overlay"
      onMouseDown={onClose}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.stopPropagation();
        onClose();
      }}
    >
      <div className={`bl-dialog${wide ? ' wide' : ''}`} role="dialog" aria-modal="true" aria-label={label} data-testid={testId} ref={ref} onMouseDown={(e) => e.stopPropagation()}>
        {children}
      </div>
    </div>
  );
}
