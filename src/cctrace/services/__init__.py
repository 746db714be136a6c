"""The use cases every front door calls: the CLI, the REST API and the web page.

Each module is one use case family (users, cameras, footage, cases, traces, evidence,
reports, retention, keys, audit, jobs). A service function takes a `Context` (the store and
the authenticated `Principal`), calls `authorize` first (role, and for a case its owner:
refusals are audited), does the work in the store's transactions, records what happened
as a typed `AuditEvent`, and returns the JSON contract of `cctrace.schemas`, so the CLI and
the API print the very same object. Front doors only parse, call and render.
"""
