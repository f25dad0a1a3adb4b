"""HTTP routes, one blueprint per resource: parse, authorise, call a service, shape the reply."""
