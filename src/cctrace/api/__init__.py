"""The REST API (`cctrace serve`): a FastAPI app factory over the services.

Routes parse, call a service and return its schema; the token check, the error shape,
upload streaming, body limits and the job workers live beside them (one file each).
"""
