"""The HTTP API's domain side: request and response models, signed cursors, the query planner over
the mention indexes, the handling workflow, stats, and the Powertools routers that expose them.
`functions/api/app.py` wires the routers into one resolver."""
