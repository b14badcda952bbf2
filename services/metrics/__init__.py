"""Metrics: sampled from psutil, Prometheus, logs and health."""
