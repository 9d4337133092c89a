"""Tests of the course website built by ``scripts/build_site.sh`` (static checks and a real browser)."""
