"""Pure rules with no AWS: time, points, check-ins, recall, CSV parsing, masking."""
