"""Copilot's OpenTelemetry metrics, kept as sent: one `MetricPoint` per data point.

Spans are the source of every count (`otlp_spans`); metrics (`gen_ai.client.token.usage`,
`copilot_chat.edit.acceptance.count`, `lines_of_code.count`, ... — copilot-protocol.md §10) are stored
raw, temporality as sent (delta or cumulative), for figures that may use them later. Nothing is
summed or converted here.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Final

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from desktop_app.capture.otlp import attributes
from desktop_app.capture.otlp_http import Rejected
from desktop_app.core.models import MetricPoint

_TEMPORALITY: Final = {
    AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA: "delta",
    AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE: "cumulative",
}
_UNSPECIFIED: Final = AggregationTemporality.AGGREGATION_TEMPORALITY_UNSPECIFIED
_KINDS: Final = {"sum": "sum", "gauge": "gauge", "histogram": "histogram",
                 "exponential_histogram": "exponential_histogram", "summary": "summary"}


def _points(metric: Metric) -> tuple[str, str, Iterator[Message]]:
    """(kind, temporality, data points) of a metric; ("", "", nothing) for an empty one."""
    which = metric.WhichOneof("data")
    if which is None:
        return "", "", iter(())
    data = getattr(metric, which)
    temporality = _TEMPORALITY.get(getattr(data, "aggregation_temporality", _UNSPECIFIED), "")
    return _KINDS[which], temporality, iter(data.data_points)


def _value(point: Message) -> float | None:
    which = point.WhichOneof("value") if "value" in {f.name for f in point.DESCRIPTOR.oneofs} else None
    if which is None:
        return None
    return float(getattr(point, which))


def metric_points(request: ExportMetricsServiceRequest, developer: str) -> tuple[tuple[MetricPoint, ...], Rejected]:
    """Every data point of `developer`'s export, and the points without a time (rejected)."""
    points: list[MetricPoint] = []
    rejected = 0
    for resource_metrics in request.resource_metrics:
        resource = attributes(resource_metrics.resource.attributes)
        service = str(resource.get("service.name", ""))
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind, temporality, data_points = _points(metric)
                for point in data_points:
                    time_unix_nano = getattr(point, "time_unix_nano", 0)
                    if not time_unix_nano:
                        rejected += 1
                        continue
                    document = json_format.MessageToDict(point)
                    document.pop("attributes", None)
                    points.append(MetricPoint(
                        developer=developer, observed_at=datetime.fromtimestamp(time_unix_nano / 1e9, UTC),
                        service=service[:200], name=metric.name[:200], unit=metric.unit[:50], kind=kind,
                        temporality=temporality,
                        attributes=json.dumps(attributes(getattr(point, "attributes", ())), default=str,
                                              sort_keys=True),
                        value=_value(point), data=json.dumps(document, sort_keys=True)))
    message = f"{rejected} data point(s) without a time" if rejected else ""
    return tuple(points), Rejected(rejected, message)
