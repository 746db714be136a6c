"""Reports of a trace: HTML (self-contained, works offline), later PDF, CSV and JSON."""
