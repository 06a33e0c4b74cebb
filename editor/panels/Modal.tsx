import { type ReactNode, useEffect, useRef } from 'react';

/** A dialog over the page: Escape or a click outside closes it; focus moves into it so the keyboard works at once. */
export function Modal({ label, onClose, wide, children, testId }: { label: string; onClose: () => void; wide?: boolean; children: ReactNode; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const el = ref.current;
    if (el && !el.contains(document.activeElement)) (el.querySelector<HTMLElement>('[data-autofocus]:not(:disabled)') ?? el.querySelector<HTMLElement>('button:not(:disabled), input, select, textarea'))?.focus({ preventScroll: true });
    // Escape closes it wherever focus is (a button that was disabled when it opened could not take focus).
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      close.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="bl-overlay" onMouseDown={onClose}>
      <div className={`bl-dialog${wide ? ' wide' : ''}`} role="dialog" aria-modal="true" aria-label={label} data-testid={testId} ref={ref} onMouseDown={(e) => e.stopPropagation()}>
        {children}
      </div>
    </div>
  );
}
