"""interKanect application code: domain rules, services, adapters and API blueprints."""
