import { Fragment, type ReactNode } from "react";

/** The words of a query worth marking in a result: Latin words and numbers, and Chinese runs with their pairs. */
export function queryTerms(query: string): string[] {
  const terms = new Set<string>();
  for (const word of query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const han = word.match(/\p{Script=Han}+/gu) ?? [];
    for (const run of han) {
      terms.add(run);
      if (run.length > 2) for (let i = 0; i + 2 <= run.length; i += 1) terms.add(run.slice(i, i + 2));
      if (run.length <= 2) for (const ch of run) terms.add(ch);
    }
    for (const latin of word.split(/\p{Script=Han}+/u)) if (latin.length >= 2) terms.add(latin);
  }
  return [...terms].sort((a, b) => b.length - a.length);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Latin words are marked whole ("to" not inside "visitors"); Chinese has no spaces, so its terms match anywhere.
const bounded = (term: string) =>
  /\p{Script=Han}/u.test(term) ? escape(term) : `(?<![\p{Script=Latin}\p{N}])${escape(term)}(?![\p{Script=Latin}\p{N}])`;

/** The text with every query term wrapped in <mark>. */
export function highlight(text: string, terms: string[]): ReactNode {
  if (terms.length === 0) return text;
  // Lookarounds are not captured, so split() still yields text, term, text, … with the terms at odd indexes.
  const re = new RegExp(`(${terms.map(bounded).join("|")})`, "giu");
  return text.split(re).map((part, i) =>
    i % 2 === 1 ? (
      <mark key={i} className="kb-hit">
        {part}
      </mark>
    ) : (
      <Fragment key={i}>{part}</Fragment>
    ),
  );
}
