"""Place search: municipalities and wards by name or reading, for area pickers and need forms."""
