"""Dynamic providers, one module per resource kind, and the resources users declare.

Module paths of provider classes are public API: Pulumi state names them.
"""
