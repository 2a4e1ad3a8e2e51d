"""Releases and the site of every release, on top of the publishing layer."""
