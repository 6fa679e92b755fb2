import { useCallback, useRef, useState } from "react";
import type { Graph } from "./model";

const LIMIT = 100;
/** Edits of one field within this long are one step of undo (typing a prompt is not a hundred steps). */
const MERGE_MS = 1200;

interface State {
  past: Graph[];
  present: Graph;
  future: Graph[];
}

export interface GraphHistory {
  graph: Graph;
  /** A new graph; `merge` names the edit so that a run of the same one (typing, dragging) undoes as one step. */
  commit: (next: Graph | ((g: Graph) => Graph), merge?: string) => void;
  undo: () => void;
  redo: () => void;
  canUndo: boolean;
  canRedo: boolean;
  /** Replaces everything (a restored version): nothing to undo. */
  reset: (g: Graph) => void;
  /** Counts every change, undo and redo included: what autosave watches. */
  revision: number;
}

export function useGraphHistory(initial: Graph): GraphHistory {
  const [state, setState] = useState<State>({ past: [], present: initial, future: [] });
  const [revision, setRevision] = useState(0);
  const last = useRef<{ key: string; at: number } | null>(null);

  const commit = useCallback((next: Graph | ((g: Graph) => Graph), merge?: string) => {
    const now = Date.now();
    const merging = merge !== undefined && last.current?.key === merge && now - last.current.at < MERGE_MS;
    last.current = merge !== undefined ? { key: merge, at: now } : null;
    setState((s) => {
      const value = typeof next === "function" ? next(s.present) : next;
      if (value === s.present) return s;
      return merging ? { ...s, present: value, future: [] } : { past: [...s.past, s.present].slice(-LIMIT), present: value, future: [] };
    });
    setRevision((r) => r + 1);
  }, []);

  const undo = useCallback(() => {
    last.current = null;
    setState((s) => (s.past.length === 0 ? s : { past: s.past.slice(0, -1), present: s.past[s.past.length - 1]!, future: [s.present, ...s.future] }));
    setRevision((r) => r + 1);
  }, []);

  const redo = useCallback(() => {
    last.current = null;
    setState((s) => (s.future.length === 0 ? s : { past: [...s.past, s.present], present: s.future[0]!, future: s.future.slice(1) }));
    setRevision((r) => r + 1);
  }, []);

  const reset = useCallback((g: Graph) => {
    last.current = null;
    setState({ past: [], present: g, future: [] });
    setRevision((r) => r + 1);
  }, []);

  return { graph: state.present, commit, undo, redo, canUndo: state.past.length > 0, canRedo: state.future.length > 0, reset, revision };
}
