import { Descriptions, Typography } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { ModelPublic, Schemas } from "../../api/client";
import { formatBytes, formatNumber } from "../../components/format";

type PrefixCacheStats = Schemas["PrefixCachePublic"];
type Field = keyof PrefixCacheStats;

/** One reading, as a browser test finds it: `prefix-cache-<field>`, the raw number in data-value. */
function Value({ stats, field, bytes = false }: { stats: PrefixCacheStats; field: Field; bytes?: boolean }) {
  const n = stats[field];
  return (
    <span data-testid={`prefix-cache-${field}`} data-value={n}>
      {bytes ? formatBytes(n) : formatNumber(n)}
    </span>
  );
}

/** A secondary reading after the main one: "label value". */
function Aside({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Typography.Text type="secondary" style={{ marginInlineStart: 8, fontSize: 12 }}>
      {label} {children}
    </Typography.Text>
  );
}

/** What a chat deployment's workers did not compute again: prefixes shared between requests and the pinned
 * prefixes of published apps. Nothing for embedding models or models not deployed; a dash without a ready instance. */
export function PrefixCache({ model }: { model: ModelPublic }) {
  const { t } = useTranslation();
  const d = model.deployment;
  if (model.kind !== "chat" || !d) return null;
  const stats = d.prefix_cache ?? null;
  const title = t("models.prefixCache.title");
  if (stats === null) {
    return (
      <Descriptions
        size="small"
        title={title}
        data-testid="prefix-cache"
        data-available="false"
        items={[{ key: "none", label: t("models.prefixCache.status"), children: <Typography.Text type="secondary">{t("models.prefixCache.none")}</Typography.Text> }]}
      />
    );
  }
  return (
    <Descriptions
      size="small"
      title={title}
      extra={
        <Typography.Text type="secondary" style={{ fontSize: 12, fontWeight: "normal" }}>
          {t("models.prefixCache.hint")}
        </Typography.Text>
      }
      column={{ xs: 1, md: 2, xl: 3 }}
      data-testid="prefix-cache"
      data-available="true"
      items={[
        {
          key: "hits",
          label: t("models.prefixCache.hits"),
          children: (
            <>
              <Value stats={stats} field="prefix_hits" />
              <Aside label={t("models.prefixCache.fromPinned")}>
                <Value stats={stats} field="pinned_hits" />
              </Aside>
            </>
          ),
        },
        {
          key: "reused",
          label: t("models.prefixCache.tokensReused"),
          children: (
            <>
              <Value stats={stats} field="tokens_reused" />
              <Aside label={t("models.prefixCache.copied")}>
                <Value stats={stats} field="tokens_copied" />
              </Aside>
            </>
          ),
        },
        {
          key: "pinned",
          label: t("models.prefixCache.pinned"),
          children: (
            <>
              <Value stats={stats} field="pinned" /> / <Value stats={stats} field="pinned_capacity" />
              <Aside label={t("models.prefixCache.reserved")}>
                <Value stats={stats} field="pinned_reserved_bytes" bytes />
              </Aside>
            </>
          ),
        },
        {
          key: "pinnedTokens",
          label: t("models.prefixCache.pinnedTokens"),
          children: (
            <>
              <Value stats={stats} field="pinned_tokens" />
              <Aside label={t("models.prefixCache.memory")}>
                <Value stats={stats} field="pinned_bytes" bytes />
              </Aside>
            </>
          ),
        },
        { key: "warmed", label: t("models.prefixCache.warmed"), children: <Value stats={stats} field="warmed" /> },
        { key: "evicted", label: t("models.prefixCache.evicted"), children: <Value stats={stats} field="evicted" /> },
      ]}
    />
  );
}
