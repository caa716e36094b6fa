"""Bundled Korean seed data and the import/export file formats."""
