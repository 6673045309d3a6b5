"""Linking stories: topics and related stories."""
