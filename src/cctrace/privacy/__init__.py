"""Privacy by construction: roles, consent gate, retention, redaction.

The audit chain these decisions are logged to is storage: `cctrace.store.audit_log`.
"""
