"""Tools for operators of a deployed stage, run from a checkout; never part of the Lambda bundle."""
