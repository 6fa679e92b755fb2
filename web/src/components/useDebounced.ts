import { useEffect, useState } from "react";

/** `value`, once it has stopped changing for `ms` milliseconds. Compared by JSON, so fresh objects are fine. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  const key = JSON.stringify(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
    // `key` stands for `value`: a new object with the same contents is no change.
  }, [key, ms]);
  return settled;
}
