"""The HTTP face: a FastAPI app (``create_app``) served by uvicorn."""
