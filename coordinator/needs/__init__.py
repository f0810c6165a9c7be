"""Needs: what an affected association asks for, with amendment history and roll-up counts."""
