/** The store's shape: one zustand store made of five slices, each written only through its own actions. */
import type { TemporalState } from 'zundo';
import type { AnnotationSlice } from './annotations.js';
import type { Doc, DocSlice } from './doc.js';
import type { EditSlice } from './edits.js';
import type { LiveSlice } from './live.js';
import type { UiSlice } from './ui.js';

export type EditorState = DocSlice & AnnotationSlice & EditSlice & UiSlice & LiveSlice;
export type SetState = (patch: Partial<EditorState>) => void;
export type Get = () => EditorState;
/** zundo's undo history of the document slice. */
export interface History {
  get(): TemporalState<Partial<Doc>>;
  set(patch: Partial<TemporalState<Partial<Doc>>>): void;
}
