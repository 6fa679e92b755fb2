import { Form, Modal, type FormInstance } from "antd";
import type { ReactNode } from "react";
import { useTranslation } from "react-i18next";

interface Props<T> {
  open: boolean;
  title: ReactNode;
  form: FormInstance<T>;
  onFinish: (values: T) => void;
  onCancel: () => void;
  loading: boolean;
  okText?: ReactNode;
  initialValues?: Partial<T>;
  testId?: string;
  width?: number;
  children: ReactNode;
}

/** A modal whose OK button submits (and validates) the form inside it. */
export function FormModal<T extends object>({
  open,
  title,
  form,
  onFinish,
  onCancel,
  loading,
  okText,
  initialValues,
  testId,
  width,
  children,
}: Props<T>) {
  const { t } = useTranslation();
  return (
    <Modal
      open={open}
      title={title}
      onOk={() => form.submit()}
      onCancel={onCancel}
      confirmLoading={loading}
      width={width}
      okText={okText ?? t("common.save")}
      cancelText={t("common.cancel")}
      okButtonProps={testId ? { "data-testid": `${testId}-submit` } : undefined}
      destroyOnHidden
      afterClose={() => form.resetFields()}
    >
      <Form<T>
        form={form}
        layout="vertical"
        initialValues={initialValues}
        onFinish={onFinish}
        preserve={false}
        style={{ marginTop: 16 }}
        data-testid={testId}
      >
        {children}
        {/* Enter in a field submits the form */}
        <button type="submit" hidden aria-hidden="true" />
      </Form>
    </Modal>
  );
}
