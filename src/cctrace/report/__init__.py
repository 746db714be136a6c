"""Reports of a trace: the printable case report (`render`: HTML, PDF, CSV) of a saved
trace run, built from a `model.ReportData`; evidence exports (`evidence`); and the older
one-page HTML summary of the demo (`html`)."""
