"""cctrace: consent-gated contact tracing through CCTV footage."""

__version__ = "0.1.0"
