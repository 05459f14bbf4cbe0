"""Publishing a plan as the notice's attachments (XLSX, CSV, ICS, JSON) and an HTML report."""
