"""Answers out: retrieve, read, cite, serve."""
