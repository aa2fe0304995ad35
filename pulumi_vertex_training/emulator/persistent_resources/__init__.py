"""PersistentResources: their RPCs, validation, operations, and the jobs placed on them."""
