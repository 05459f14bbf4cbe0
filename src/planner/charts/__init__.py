"""Calendar load charts, one module per chart (matplotlib, Chinese labels)."""
