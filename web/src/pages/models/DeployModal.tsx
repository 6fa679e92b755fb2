import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Col, Descriptions, Form, InputNumber, Row } from "antd";
import { useTranslation } from "react-i18next";
import { api, unwrap, type DeploymentSpec, type ModelPublic } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { queryKeys } from "../../api/queries";
import { FormModal } from "../../components/FormModal";
import { formatBytes, formatNumber, formatParams } from "../../components/format";
import { stateOf } from "./modelStatus";

interface DeployForm {
  context_size: number;
  parallel: number;
  threads: number | null;
  gpu_layers: number;
  replicas: number;
}

// The server's own defaults (serving/schemas.py DeploymentSpec, registry._resolve).
const DEFAULT_PARALLEL = 4;
const DEFAULT_CONTEXT_CAP = 4096;

function initialValues(model: ModelPublic): DeployForm {
  const d = model.deployment;
  if (d) {
    return { context_size: d.context_size, parallel: d.parallel, threads: d.threads, gpu_layers: d.gpu_layers, replicas: d.replicas };
  }
  return {
    context_size: Math.min(model.context_length || 2048, DEFAULT_CONTEXT_CAP),
    parallel: DEFAULT_PARALLEL,
    threads: null,
    gpu_layers: 0,
    replicas: 1,
  };
}

/** Deploys a model, or changes how a deployed one runs (which restarts its workers). */
export function DeployModal({ model, onClose }: { model: ModelPublic | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<DeployForm>();
  const deploy = useMutation({
    mutationFn: ({ id, spec }: { id: string; spec: DeploymentSpec }) =>
      unwrap(api.PUT("/api/models/{model_id}/deployment", { params: { path: { model_id: id } }, body: spec })),
    onSuccess: (updated) => {
      onClose();
      void message.success(t("deploy.started", { name: updated.name }));
      queryClient.setQueryData(queryKeys.models, (old: { data: ModelPublic[]; count: number } | undefined) =>
        old ? { ...old, data: old.data.map((m) => (m.id === updated.id ? updated : m)) } : old,
      );
      void queryClient.invalidateQueries({ queryKey: queryKeys.models });
    },
  });

  const redeploy = model !== null && model.deployment !== null;
  const running = model !== null && (stateOf(model) === "ready" || stateOf(model) === "starting");
  const maxContext = model?.context_length || 1_048_576;

  return (
    <FormModal<DeployForm>
      open={model !== null}
      title={model ? t(redeploy ? "deploy.titleRedeploy" : "deploy.title", { name: model.name }) : ""}
      form={form}
      onFinish={(values) => {
        if (!model) return;
        deploy.mutate({
          id: model.id,
          spec: { ...values, threads: values.threads ?? null, force: false },
        });
      }}
      onCancel={() => {
        deploy.reset();
        onClose();
      }}
      loading={deploy.isPending}
      okText={t(redeploy ? "models.redeploy" : "models.deploy")}
      initialValues={model ? initialValues(model) : undefined}
      testId="deploy-form"
    >
      {model && (
        <Descriptions
          size="small"
          column={3}
          style={{ marginBottom: 16 }}
          items={[
            { key: "arch", label: t("models.details.architecture"), children: model.architecture || "—" },
            { key: "params", label: t("models.columns.params"), children: formatParams(model.parameter_count) },
            { key: "size", label: t("models.details.fileSize"), children: formatBytes(model.size_bytes) },
          ]}
        />
      )}
      {deploy.isError && (
        <Alert type="error" showIcon title={errorMessage(deploy.error, t)} style={{ marginBottom: 16 }} data-testid="deploy-error" />
      )}
      <Row gutter={16}>
        <Col span={12}>
          <Form.Item
            name="context_size"
            label={t("deploy.contextSize")}
            extra={t("deploy.contextHint", { max: formatNumber(maxContext) })}
            rules={[{ required: true, message: t("common.required") }]}
          >
            <InputNumber min={128} max={maxContext} step={512} style={{ width: "100%" }} data-testid="deploy-context" />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item
            name="parallel"
            label={t("deploy.parallel")}
            extra={t("deploy.parallelHint")}
            rules={[{ required: true, message: t("common.required") }]}
          >
            <InputNumber min={1} max={64} style={{ width: "100%" }} data-testid="deploy-parallel" />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item name="threads" label={t("deploy.threads")} extra={t("deploy.threadsHint")}>
            <InputNumber min={1} max={512} placeholder={t("deploy.auto")} style={{ width: "100%" }} data-testid="deploy-threads" />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item
            name="gpu_layers"
            label={t("deploy.gpuLayers")}
            extra={t("deploy.gpuLayersHint")}
            rules={[{ required: true, message: t("common.required") }]}
          >
            <InputNumber min={-1} max={10000} style={{ width: "100%" }} data-testid="deploy-gpu-layers" />
          </Form.Item>
        </Col>
        <Col span={12}>
          <Form.Item
            name="replicas"
            label={t("deploy.replicas")}
            extra={t("deploy.replicasHint")}
            rules={[{ required: true, message: t("common.required") }]}
            style={{ marginBottom: 0 }}
          >
            <InputNumber min={1} max={16} style={{ width: "100%" }} data-testid="deploy-replicas" />
          </Form.Item>
        </Col>
      </Row>
      {running && (
        <Alert type="warning" showIcon title={t("deploy.restartWarning")} style={{ marginTop: 16 }} />
      )}
    </FormModal>
  );
}
