import { Input, Tooltip, Typography } from "antd";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { NodeType, WorkflowMode } from "./model";
import { GROUPS, META, paletteTypes } from "./nodeTypes";

export const DRAG_TYPE = "application/x-hezi-node";

/** The node types, by group: drag one onto the canvas, or click it to add it after the selected node. */
export function Palette({ mode, onAdd, disabled }: { mode: WorkflowMode; onAdd: (type: NodeType) => void; disabled: boolean }) {
  const { t } = useTranslation();
  const [q, setQ] = useState("");
  const types = paletteTypes(mode).filter((type) => {
    if (!q.trim()) return true;
    const s = q.trim().toLowerCase();
    return type.includes(s) || t(`workflow.types.${type}.name`).toLowerCase().includes(s);
  });
  return (
    <div className="wf-palette" data-testid="wf-palette">
      <Input.Search size="small" allowClear placeholder={t("workflow.palette.search")} value={q} onChange={(e) => setQ(e.target.value)} style={{ marginBottom: 8 }} />
      {GROUPS.map((group) => {
        const items = types.filter((type) => META[type].group === group);
        if (items.length === 0) return null;
        return (
          <div key={group} className="wf-palette-group">
            <Typography.Text type="secondary" className="wf-palette-title">
              {t(`workflow.palette.groups.${group}`)}
            </Typography.Text>
            {items.map((type) => (
              <Tooltip key={type} title={t(`workflow.types.${type}.description`)} placement="right" mouseEnterDelay={0.6}>
                <div
                  className={`wf-palette-item${disabled ? " wf-disabled" : ""}`}
                  draggable={!disabled}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, type);
                    e.dataTransfer.effectAllowed = "move";
                  }}
                  onClick={() => !disabled && onAdd(type)}
                  data-testid={`wf-palette-${type}`}
                  role="button"
                >
                  <span className="wf-node-icon" style={{ background: META[type].color }}>
                    {META[type].icon}
                  </span>
                  <span>{t(`workflow.types.${type}.name`)}</span>
                </div>
              </Tooltip>
            ))}
          </div>
        );
      })}
    </div>
  );
}
