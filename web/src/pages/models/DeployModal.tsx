import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Alert, App, Button, Checkbox, Col, Descriptions, Form, InputNumber, Row } from "antd";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, unwrap, type DeploymentSpec, type ModelPublic } from "../../api/client";
import { errorMessage } from "../../api/errors";
import { asFitCheck, type FitSuggestion } from "../../api/hardware";
import { queryKeys, useHardware } from "../../api/queries";
import { FormModal } from "../../components/FormModal";
import { formatBytes, formatNumber, formatParams } from "../../components/format";
import { useDebounced } from "../../components/useDebounced";
import { FitPanel } from "./FitPanel";
import { stateOf } from "./modelStatus";

interface DeployForm {
  context_size: number;
  parallel: number;
  /** Empty: hezi chooses (one per physical core). */
  threads: number | null;
  /** Empty: hezi places the model (every layer on the GPU with the most free memory, or the CPU). */
  gpu_layers: number | null;
  replicas: number;
  /** Sequences a chat model keeps for published apps' prompts; embedding models have none. */
  pinned_prefixes: number;
  /** One KV cache for every sequence (chat models): a shared prefix's cells are held once (decision 0024). */
  kv_unified: boolean;
}

// The server's own defaults (serving/schemas.py DeploymentSpec, registry._resolve).
const DEFAULT_PARALLEL = 4;
const DEFAULT_CONTEXT_CAP = 4096;
const DEFAULT_PINNED = 2;
const FIT_DEBOUNCE_MS = 300;

function initialValues(model: ModelPublic): DeployForm {
  const d = model.deployment;
  if (d) {
    return {
      context_size: d.context_size,
      parallel: d.parallel,
      threads: d.threads,
      gpu_layers: d.gpu_layers,
      replicas: d.replicas,
      // An embedding model's deployment holds 0; should it become a chat model's form, the default applies.
      pinned_prefixes: model.kind === "chat" ? (d.pinned_prefixes ?? DEFAULT_PINNED) : DEFAULT_PINNED,
      kv_unified: model.kind === "chat" && !!d.kv_unified,
    };
  }
  return {
    context_size: Math.min(model.context_length || 2048, DEFAULT_CONTEXT_CAP),
    parallel: DEFAULT_PARALLEL,
    threads: null,
    gpu_layers: null,
    replicas: 1,
    pinned_prefixes: DEFAULT_PINNED,
    kv_unified: false,
  };
}

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

/** The GPU a deployment already runs on stays its GPU while its layers are set by hand. */
function pinnedDevice(model: ModelPublic | null, gpuLayers: number | null): string | null {
  const device = model?.deployment?.device ?? "";
  return gpuLayers !== null && gpuLayers !== 0 && device.startsWith("cuda:") ? device : null;
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

  // The fit estimate follows the form, once the user pauses typing.
  const contextSize = Form.useWatch("context_size", form);
  const parallel = Form.useWatch("parallel", form);
  const gpuLayersField = Form.useWatch("gpu_layers", form);
  const replicas = Form.useWatch("replicas", form);
  const pinnedPrefixes = Form.useWatch("pinned_prefixes", form);
  const kvUnified = Form.useWatch("kv_unified", form);
  const chat = model?.kind === "chat";
  const gpuLayers = typeof gpuLayersField === "number" ? gpuLayersField : null;
  const maxContext = model?.context_length || 1_048_576;
  const device = pinnedDevice(model, gpuLayers);
  const fitParams =
    model &&
    isInt(contextSize, 128, maxContext) &&
    isInt(parallel, 1, 64) &&
    (gpuLayers === null || isInt(gpuLayers, -1, 10_000)) &&
    (!chat || isInt(pinnedPrefixes, 0, 16))
      ? {
          context_size: contextSize,
          parallel,
          replicas: isInt(replicas, 1, 16) ? replicas : 1,
          ...(chat ? { pinned_prefixes: pinnedPrefixes as number, kv_unified: !!kvUnified } : {}),
          ...(gpuLayers === null ? {} : { gpu_layers: gpuLayers }),
          ...(device === null ? {} : { device }),
        }
      : null;
  const settled = useDebounced(fitParams, FIT_DEBOUNCE_MS);
  const modelId = model?.id ?? "";
  const fit = useQuery({
    queryKey: queryKeys.modelFit(modelId, settled ?? {}),
    queryFn: async () =>
      asFitCheck(await unwrap(api.GET("/api/models/{model_id}/fit", { params: { path: { model_id: modelId }, query: settled! } }))),
    enabled: model !== null && settled !== null,
    // Keep the last estimate on screen while the next one loads, but never another model's.
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[1] === modelId ? keepPreviousData(previous) : undefined),
    retry: false,
  });
  const pending = fit.isFetching || JSON.stringify(fitParams) !== JSON.stringify(settled);
  const hardware = useHardware(false);
  const gpuNames = Object.fromEntries((hardware.data?.inventory.gpus ?? []).map((g) => [`cuda:${g.index}`, g.name]));

  const submit = (values: DeployForm, force: boolean) => {
    if (!model) return;
    deploy.mutate({
      id: model.id,
      spec: {
        context_size: values.context_size,
        parallel: values.parallel,
        replicas: values.replicas,
        // Embedding models keep none (the server ignores it for them).
        pinned_prefixes: model.kind === "chat" ? values.pinned_prefixes : 0,
        kv_unified: model.kind === "chat" && !!values.kv_unified,
        threads: values.threads ?? null,
        gpu_layers: values.gpu_layers ?? null,
        device: pinnedDevice(model, values.gpu_layers ?? null),
        force,
      },
    });
  };
  const applySuggestion = (s: FitSuggestion) => {
    const current = gpuLayers ?? fit.data?.placement.gpu_layers;
    form.setFieldsValue({
      context_size: s.context_size,
      parallel: s.parallel,
      ...(s.pinned_prefixes !== undefined ? { pinned_prefixes: s.pinned_prefixes } : {}),
      // A suggestion about context or parallel keeps the placement as it is (automatic stays automatic).
      ...(s.gpu_layers !== current ? { gpu_layers: s.gpu_layers } : {}),
    });
  };

  // One form serves every model, and a form mounting again keeps the values it held (the last model's, once the
  // dialog has closed): start from this model's settings.
  const modelKey = model?.id ?? null;
  useEffect(() => {
    if (model) form.setFieldsValue(initialValues(model));
    // Only another model, not a fresher copy of this one (the list polls), resets what the user typed.
  }, [modelKey]);

  // A refusal is about the settings that were sent: once they change, it no longer applies.
  const doesNotFit = deploy.error instanceof ApiError && deploy.error.code === "model_does_not_fit";
  const paramsKey = JSON.stringify(fitParams);
  const { reset } = deploy;
  useEffect(() => {
    if (doesNotFit) reset();
    // Only a change of the settings clears it, not the refusal arriving.
  }, [paramsKey]);

  const redeploy = model !== null && model.deployment !== null;
  const running = model !== null && (stateOf(model) === "ready" || stateOf(model) === "starting");

  return (
    <FormModal<DeployForm>
      open={model !== null}
      title={model ? t(redeploy ? "deploy.titleRedeploy" : "deploy.title", { name: model.name }) : ""}
      form={form}
      onFinish={(values) => submit(values, false)}
      onCancel={() => {
        deploy.reset();
        onClose();
      }}
      loading={deploy.isPending}
      okText={t(redeploy ? "models.redeploy" : "models.deploy")}
      initialValues={model ? initialValues(model) : undefined}
      testId="deploy-form"
      width={680}
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
      {deploy.isError && !doesNotFit && (
        <Alert type="error" showIcon title={errorMessage(deploy.error, t)} style={{ marginBottom: 16 }} data-testid="deploy-error" />
      )}
      {doesNotFit && (
        <Alert
          type="error"
          showIcon
          title={t("deploy.doesNotFit")}
          description={<span data-testid="deploy-error">{errorMessage(deploy.error, t)}</span>}
          action={
            <Button
              danger
              size="small"
              loading={deploy.isPending}
              onClick={() => void form.validateFields().then((values) => submit(values, true), () => undefined)}
              data-testid="deploy-force"
            >
              {t("deploy.force")}
            </Button>
          }
          style={{ marginBottom: 16 }}
          data-testid="deploy-does-not-fit"
        />
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
        <Col span={chat ? 6 : 8}>
          <Form.Item name="threads" label={t("deploy.threads")} tooltip={t("deploy.threadsHint")} style={{ marginBottom: 0 }}>
            <InputNumber min={1} max={512} placeholder={t("deploy.auto")} style={{ width: "100%" }} data-testid="deploy-threads" />
          </Form.Item>
        </Col>
        <Col span={chat ? 6 : 8}>
          <Form.Item name="gpu_layers" label={t("deploy.gpuLayers")} tooltip={t("deploy.gpuLayersHint")} style={{ marginBottom: 0 }}>
            <InputNumber min={-1} max={10000} placeholder={t("deploy.auto")} style={{ width: "100%" }} data-testid="deploy-gpu-layers" />
          </Form.Item>
        </Col>
        <Col span={chat ? 6 : 8}>
          <Form.Item
            name="replicas"
            label={t("deploy.replicas")}
            tooltip={t("deploy.replicasHint")}
            rules={[{ required: true, message: t("common.required") }]}
            style={{ marginBottom: 0 }}
          >
            <InputNumber min={1} max={16} style={{ width: "100%" }} data-testid="deploy-replicas" />
          </Form.Item>
        </Col>
        {chat && (
          <Col span={6}>
            <Form.Item
              name="pinned_prefixes"
              label={t("deploy.pinnedPrefixes")}
              tooltip={t("deploy.pinnedPrefixesHint")}
              rules={[{ required: true, message: t("common.required") }]}
              style={{ marginBottom: 0 }}
            >
              <InputNumber min={0} max={16} style={{ width: "100%" }} data-testid="deploy-pinned-prefixes" />
            </Form.Item>
          </Col>
        )}
      </Row>
      {chat && (
        <Form.Item
          name="kv_unified"
          valuePropName="checked"
          tooltip={t("deploy.kvUnifiedHint")}
          style={{ marginTop: 12, marginBottom: 0 }}
        >
          <Checkbox data-testid="deploy-kv-unified">{t("deploy.kvUnified")}</Checkbox>
        </Form.Item>
      )}
      {model && (
        <div style={{ marginTop: 16 }}>
          <FitPanel
            fit={fit.data}
            pending={pending}
            error={fit.error}
            gpuLayers={gpuLayers}
            gpuNames={gpuNames}
            onSuggestion={applySuggestion}
            onAutomatic={() => form.setFieldsValue({ gpu_layers: null })}
          />
        </div>
      )}
      {running && (
        <Alert type="warning" showIcon title={t("deploy.restartWarning")} style={{ marginTop: 16 }} />
      )}
    </FormModal>
  );
}
