"""Cases: one request (terminate, suspend, resume, port out, reactivate) against one line."""
