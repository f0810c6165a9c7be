"""Contacts: each association's disaster contacts, a need's on-site contact, the people a dispatch sends."""
