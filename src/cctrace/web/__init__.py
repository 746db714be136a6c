"""The web page: investigators' cases, route map, contacts and evidence; admins' cameras,
footage, users and retention; auditors' log. Server-rendered on the same services as the
CLI and the API (no rule of its own), mounted at ``/`` by `cctrace.api.app.create_app`."""
