import '@xyflow/react/dist/style.css';
import './theme.css';
import './styles.css';
// After styles.css: the canvas tools' rules (notes, groups, menus, messages) refine some of its.
import './tools.css';
import './release.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { applyTheme } from './panels/ThemeToggle.js';
import { startStore, useEditor } from './store/graph.js';

// Exposed for the browser tests (to read state) and the bench (to load a generated 300-node graph).
(window as unknown as { beamline: unknown }).beamline = { store: useEditor };

// Compiler errors, unsaved and modified follow the document from here on (nothing starts on import).
startStore();

// The theme is on <html> before the first paint, so a dark-mode user sees no light flash.
applyTheme();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
