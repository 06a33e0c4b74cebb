import { forgetDraft, restoreDraft } from '../api/workspace.js';
import { useEditor } from '../store/graph.js';

/** A draft left from an earlier visit (a closed tab, a reload), offered back once. */
export function DraftBanner() {
  const draft = useEditor((s) => s.draftOffer);
  if (!draft) return null;
  return (
    <div className="bl-banner" role="status" data-testid="draft-offer">
      <span>
        Unsaved draft of <strong>{draft.key}</strong> from {new Date(draft.savedAt).toLocaleString()} ({draft.graph.nodes.length} nodes).
      </span>
      <button type="button" className="bl-primary" onClick={() => void restoreDraft(draft)}>
        Restore draft
      </button>
      <button type="button" onClick={() => forgetDraft(draft.key)}>
        Discard it
      </button>
    </div>
  );
}
