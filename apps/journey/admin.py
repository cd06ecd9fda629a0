"""Journey has nothing to configure in the platform's admin: its settings are in the product."""
