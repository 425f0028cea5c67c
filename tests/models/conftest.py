"""Hypothesis settings for the model tests: deterministic in CI, thorough enough locally."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "models",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
