"""Exports of a disaster's needs and dispatches as CSV (Excel-friendly) and GeoJSON."""
