"""One module per area of the web page; each parses a form, calls a service, renders."""
