"""Locales and translators: translation states, memories, and exchange files for CAT tools."""
