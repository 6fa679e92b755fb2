/** The hezi box: three faces of a cube. */
export function LogoMark({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true">
      <path d="M16 2 29 9v14l-13 7-13-7V9z" fill="#1677ff" />
      <path d="M16 2 29 9l-13 7L3 9z" fill="#69b1ff" />
      <path d="M16 16v14l13-7V9z" fill="#0958d9" />
    </svg>
  );
}

export function Logo({ size = 28, color }: { size?: number; color?: string }) {
  return (
    <span style={{ display: "inline-flex", alignItems: "center", gap: 10 }}>
      <LogoMark size={size} />
      <span className="hezi-logo-text" style={{ fontSize: size * 0.64, fontWeight: 600, color, whiteSpace: "nowrap" }}>
        hezi 盒子
      </span>
    </span>
  );
}
