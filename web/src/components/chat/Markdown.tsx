import "highlight.js/styles/github.css";
import "katex/dist/katex.min.css";
import { memo, type ReactNode } from "react";
import ReactMarkdown, { type Components } from "react-markdown";
import rehypeHighlight from "rehype-highlight";
import rehypeKatex from "rehype-katex";
import remarkGfm from "remark-gfm";
import remarkMath from "remark-math";
import type { Citation } from "../../api/agents";
import { CitationMark } from "./CitationMark";

/**
 * Model output as Markdown, and never as HTML: react-markdown builds React elements from the syntax tree, and
 * without rehype-raw any HTML in the text stays text (`<img onerror=…>` shows as those characters). Links keep
 * only http(s), mailto and relative targets; images are shown as links (nothing is fetched from elsewhere);
 * KaTeX runs untrusted (no \href, no \htmlClass) with its fonts bundled; code is highlighted by class names only.
 */

const SAFE_PROTOCOL = /^(https?|mailto):$/i;

/** A link target we let through, or "" (rendered as plain text). */
export function safeUrl(url: string): string {
  const value = url.trim();
  // Control characters and spaces inside a scheme ("java\tscript:") are how filters get fooled: refuse them.
  if (/[\u0000-\u001f\u007f]/.test(value)) return "";
  const colon = value.indexOf(":");
  const slash = value.search(/[/?#]/);
  if (colon === -1 || (slash !== -1 && slash < colon)) return value; // relative
  try {
    return SAFE_PROTOCOL.test(new URL(value).protocol) ? value : "";
  } catch {
    return "";
  }
}

interface MdNode {
  type: string;
  value?: string;
  children?: MdNode[];
  data?: Record<string, unknown>;
}

/** A remark plugin: "[n]" in the text, for a citation n of this answer, becomes a citation mark. */
function remarkCitations(numbers: Set<number>) {
  const split = (node: MdNode): MdNode[] => {
    const text = node.value ?? "";
    const out: MdNode[] = [];
    let last = 0;
    for (const m of text.matchAll(/\[(\d{1,3})\]/g)) {
      const n = Number(m[1]);
      if (!numbers.has(n)) continue;
      if (m.index > last) out.push({ type: "text", value: text.slice(last, m.index) });
      out.push({
        type: "citation",
        children: [{ type: "text", value: String(n) }],
        data: { hName: "sup", hProperties: { className: ["hezi-cite"], dataCite: String(n) } },
      });
      last = m.index + m[0].length;
    }
    if (out.length === 0) return [node];
    if (last < text.length) out.push({ type: "text", value: text.slice(last) });
    return out;
  };
  const walk = (node: MdNode) => {
    if (!node.children || node.type === "link" || node.type === "linkReference") return;
    node.children = node.children.flatMap((child) => (child.type === "text" ? split(child) : (walk(child), [child])));
  };
  return () => (tree: MdNode) => {
    if (numbers.size > 0) walk(tree);
  };
}

function components(citations: Citation[]): Components {
  return {
    a: ({ href, children }) =>
      href ? (
        <a href={href} target="_blank" rel="noopener noreferrer nofollow">
          {children}
        </a>
      ) : (
        <span className="hezi-md-dead-link">{children}</span>
      ),
    img: ({ src, alt }) => {
      const url = typeof src === "string" ? safeUrl(src) : "";
      const label = alt || url;
      return url ? (
        <a href={url} target="_blank" rel="noopener noreferrer nofollow">
          {label}
        </a>
      ) : (
        <span>{label}</span>
      );
    },
    sup: ({ node, children, ...rest }) => {
      const cite = node?.properties?.dataCite;
      if (cite !== undefined) {
        const n = Number(cite);
        return <CitationMark n={n} citation={citations.find((c) => c.n === n)} />;
      }
      return <sup {...rest}>{children}</sup>;
    },
    table: ({ children }) => (
      <div className="hezi-md-table">
        <table>{children}</table>
      </div>
    ),
  };
}

function MarkdownView({ text, citations = [], trailing }: { text: string; citations?: Citation[]; trailing?: ReactNode }) {
  const numbers = new Set(citations.map((c) => c.n));
  return (
    <div className="hezi-md" data-testid="markdown">
      <ReactMarkdown
        remarkPlugins={[remarkGfm, [remarkMath, { singleDollarTextMath: true }], remarkCitations(numbers)]}
        rehypePlugins={[
          [rehypeKatex, { throwOnError: false, strict: "ignore", trust: false, output: "htmlAndMathml" }],
          [rehypeHighlight, { detect: false }],
        ]}
        urlTransform={safeUrl}
        skipHtml={false}
        components={components(citations)}
      >
        {text}
      </ReactMarkdown>
      {trailing}
    </div>
  );
}

export const Markdown = memo(MarkdownView);
export default Markdown;
