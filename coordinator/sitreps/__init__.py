"""Situation reports: the secretariat's numbered reports (第N報) with a summary kept per report, versioned."""
