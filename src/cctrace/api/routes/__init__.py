"""One module per resource; each only parses, calls a service and returns its answer."""
