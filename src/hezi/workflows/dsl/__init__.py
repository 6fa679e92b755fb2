"""Workflow files in and out: Dify DSL files imported into a hezi Graph (all or nothing, problems by node), and
hezi's own YAML format, written by export and read back unchanged. No database or HTTP here: callers pass in what
the workspace has (model names, knowledge base ids) and store what comes back.

    import_dify(text, models=…, default_model=…) -> DslImport     raises DslRefused(problems)
    export_yaml(graph, name=…) -> str;  load_yaml(text) -> WorkflowFile
    export_dify(graph, name=…) -> str                              where Dify's format holds it all
"""

from hezi.workflows.dsl.dify import DslImport, import_dify
from hezi.workflows.dsl.dify_export import export_dify
from hezi.workflows.dsl.errors import DslRefused, InvalidWorkflowFile
from hezi.workflows.dsl.hezi_file import FORMAT, WorkflowFile, export_yaml, load_yaml

__all__ = [
    "FORMAT", "DslImport", "DslRefused", "InvalidWorkflowFile", "WorkflowFile", "export_dify", "export_yaml",
    "import_dify", "load_yaml",
]  # fmt: skip
