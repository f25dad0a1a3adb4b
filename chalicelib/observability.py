"""The one place that owns the logger and metrics (Powertools).

Logs carry the clinic and a correlation id; never a patient's name, phone or clinical value.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "revisit")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Revisit")

logger = Logger()
metrics = Metrics()


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Emit one metric right away (EMF on stdout in Lambda; disabled when metrics are off)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
        for key, val in dimensions.items():
            metric.add_dimension(name=key, value=val)
