import { FileTextOutlined } from "@ant-design/icons";
import { Flex, Popover, Typography } from "antd";
import type { Citation } from "../../api/agents";

/** An inline "[n]" of an answer: hovering shows the document and the passage it cites. */
export function CitationMark({ n, citation }: { n: number; citation?: Citation }) {
  const mark = (
    <sup className="hezi-cite" data-testid="chat-citation" data-n={n}>
      {n}
    </sup>
  );
  if (!citation) return mark;
  return (
    <Popover
      trigger={["hover", "click"]}
      styles={{ root: { maxWidth: 420 } }}
      title={
        <Flex gap={6} align="center">
          <FileTextOutlined />
          <Typography.Text ellipsis style={{ maxWidth: 360 }}>
            {citation.document_name}
          </Typography.Text>
        </Flex>
      }
      content={
        <Typography.Paragraph type="secondary" ellipsis={{ rows: 6 }} style={{ margin: 0, whiteSpace: "pre-wrap", fontSize: 13 }}>
          {citation.text}
        </Typography.Paragraph>
      }
    >
      {mark}
    </Popover>
  );
}
