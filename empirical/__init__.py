"""Self-consuming loops of small generative models, and exact TV measurement against the bounds."""
