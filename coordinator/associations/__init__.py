"""The regional international associations (and the CLAIR secretariat) as rows the other domains refer to."""
