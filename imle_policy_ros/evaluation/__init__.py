"""Closed-loop evaluation of a model bundle in the built-in simulator."""
