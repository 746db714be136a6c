"""Privacy by construction: roles, consent gate, audit, retention, redaction."""
