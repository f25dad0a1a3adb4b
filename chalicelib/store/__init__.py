"""PynamoDB models and repositories: the only place that knows keys, indexes and conditions."""
