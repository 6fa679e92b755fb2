"""Tests for hezi.serving."""
