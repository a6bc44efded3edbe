"""The console: base templates, static assets, navigation, login."""
