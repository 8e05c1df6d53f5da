"""One place for logging and metrics. Powertools Logger/Metrics, created once per container."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="harken")
metrics = Metrics(namespace="Harken", service="harken")
