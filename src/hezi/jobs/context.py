"""What tasks receive to reach the services: the composition root, handed through the worker's context."""

from __future__ import annotations

import procrastinate

from hezi.services import Services


def services_of(context: procrastinate.JobContext) -> Services:
    services = context.additional_context["services"]
    assert isinstance(services, Services)
    return services
