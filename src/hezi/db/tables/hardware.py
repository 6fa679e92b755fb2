"""Samples of the box's load, kept for 24 hours (thinned to one a minute after the first hour)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Float
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hezi.db.base import Base, utcnow


class HardwareSample(Base):
    __tablename__ = "hardware_samples"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    cpu_percent: Mapped[float] = mapped_column(Float, nullable=False)
    memory_used: Mapped[int] = mapped_column(BigInteger, nullable=False)
    memory_total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    disk_used: Mapped[int] = mapped_column(BigInteger, nullable=False)
    disk_total: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # [{index, utilization_percent, memory_used, memory_total, temperature_c, power_w}]
    gpus: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
    # [{model, instance, pid, memory, cpu_percent}]
    instances: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False, default=list)
