"""HTTP routes, one mixin per part of the API; ``gateway.service`` combines them into one nameko service."""
