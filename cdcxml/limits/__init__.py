"""Time and memory limits for checking one document: the guard and its worker pool."""
