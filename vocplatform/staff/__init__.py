"""Staff pages for integrations (admins only): API keys and webhook subscriptions."""
